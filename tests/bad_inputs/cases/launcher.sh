# Launcher mismatches (runtime/launcher_check.h): the environment announces more tasks than
# the MPI world has. Exit 1 (CommError) naming the variable, before any work.
train=("$DPTRAIN" train --config "$fixtures/train.ini" --run.dir="$work/runs")

bad launcher_slurm_ntasks 1 "SLURM_NTASKS=2" -- env SLURM_NTASKS=2 "${train[@]}"
bad launcher_srun_mpi_none 1 "SLURM_STEP_NUM_TASKS=4.*--mpi=pmix" \
  -- env SLURM_STEP_NUM_TASKS=4 SLURM_JOB_ID=1 SLURM_STEP_ID=0 "$DPTRAIN" bench allreduce --max-bytes 4096
bad launcher_pmix_size 1 "PMIX_SIZE=3" -- env PMIX_SIZE=3 "$DPTRAIN" eval --checkpoint "$fixtures/ckpt.h5" \
  --data.test="$fixtures/test"
