#!/usr/bin/env bash
# A dead rank under mpiexec: rank 1 is SIGKILLed (1) in the middle of step 13, (2) as it enters
# the first gradient all-reduce of step 13 (its peer is entering it too), (3) half-way through
# writing the checkpoint of step 15. Each time every rank must end, the job non-zero, within
# comm.timeout_s (5 s here; mpiexec itself ends the job as soon as a rank dies), `latest` must
# name the checkpoint of step 10, and --resume auto must finish the run with the final state of
# an uninterrupted run, bit for bit. Prints the time from the death to the job's end.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
timeout_s=5
common+=(--checkpoint.every_steps=5)
run_ok "$work/full.log" mpiexec -n 2 "$DPTRAIN" train "${common[@]}" --run.name=full
h5py=0
/usr/bin/python3 -c "import h5py, numpy" 2>/dev/null && h5py=1

trial() {  # <name> <env assignment>
  local name=$1 fault=$2 log=$work/$1.log ckpts=$work/runs/$1/checkpoints
  expect_failure 60 "$log" env "$fault" \
    mpiexec -n 2 "$DPTRAIN" train "${common[@]}" --run.name="$name" --comm.timeout_s=$timeout_s
  local ms
  ms=$(death_to_end_ms "$log")
  ((ms < timeout_s * 1000)) || fail "$name: the job ended $ms ms after the death (comm.timeout_s=$timeout_s)"
  [[ $(cat "$ckpts/latest") == step_00000010.h5 ]] || fail "$name: latest is $(cat "$ckpts/latest"), not step 10"
  run_ok "$work/$name.resume.log" mpiexec -n 2 "$DPTRAIN" train "${common[@]}" --run.name="$name" --resume auto
  grep -q "resumed from .*step_00000010.h5 at step 10" "$work/$name.resume.log" ||
    { cat "$work/$name.resume.log"; fail "$name: did not resume from step 10"; }
  if ((h5py)); then
    /usr/bin/python3 "$DPT_SOURCE_DIR/tests/mpi/checkpoint/compare.py" state \
      "$work/runs/full/checkpoints/step_00000030.h5" "$ckpts/step_00000030.h5" >/dev/null ||
      fail "$name: the resumed run's final state differs from the uninterrupted run's"
  fi
  echo "trial $name: exit $rc, job ended $ms ms after the death; resumed from step 10 to the same final state: ok"
}

trial kill_in_step DPT_TRAIN_FAULT=kill:1:13
trial kill_in_allreduce DPT_COMM_FAULT=kill:1:13
trial kill_in_checkpoint DPT_CHECKPOINT_FAULT=tensors:kill:1:15
echo "dead rank under mpiexec: ok"
