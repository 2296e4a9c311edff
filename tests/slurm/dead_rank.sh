#!/usr/bin/env bash
# A dead rank under srun. Rank 1 SIGKILLs itself in step 13 (DPT_TRAIN_FAULT=kill:1:13):
#  --kill-on-bad-exit=1: Slurm sends SIGTERM to rank 0, which waits in the all-reduce of step
#    13; its watchdog sees the pending stop signal, finds that rank 1 does not answer and aborts
#    (Note [Stop signal while waiting]) instead of waiting for Slurm's SIGKILL (KillWait=30 s);
#  --kill-on-bad-exit=0: Open MPI learns of the death through PMIx and aborts the job; should it
#    not, rank 0's watchdog (comm.timeout_s=4) would, reporting rank 1 as silent.
# Either way srun exits non-zero within comm.timeout_s (limit: + 5 s for the watchdog's own
# report in the second case), and --resume auto under srun continues from step 10 to the end.
# shellcheck source=tests/slurm/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
slurm_setup
prepare_small_data

timeout_s=4
common=(--config "$DPT_SOURCE_DIR/configs/fashion_mnist_mlp.ini" --data.train="$work/data/test" --data.test=
        --run.dir="$work/runs" --train.steps=30 --train.global_batch=64 --train.micro_batch=32
        --log.every_steps=5 --checkpoint.every_steps=5 --log.progress=lines --run.threads=1
        --optim.warmup_steps=0 --comm.timeout_s=$timeout_s)

trial() {  # <name> <kill-on-bad-exit> <limit in ms>
  local name=$1 log=$work/$1.log end_ns at rc=0 start=$SECONDS
  DPT_TRAIN_FAULT=kill:1:13 timeout --signal=KILL 120 \
    srun -n 2 --mpi=pmix --kill-on-bad-exit="$2" "$DPTRAIN" train "${common[@]}" --run.name="$name" >"$log" 2>&1 || rc=$?
  end_ns=$(date +%s%N)
  ((rc != 0)) || { cat "$log"; fail "$name: srun exited 0 after a rank was killed"; }
  ((SECONDS - start < 120)) || { cat "$log"; fail "$name: srun hung after a rank was killed"; }
  at=$(sed -n 's/^train fault: killed in step 13 pid [0-9]* at_ns=\([0-9]*\)$/\1/p' "$log")
  [[ -n $at ]] || { cat "$log"; fail "$name: rank 1 was not killed"; }
  local ms=$(((end_ns - at) / 1000000))
  ((ms < $3)) || { cat "$log"; fail "$name: srun ended $ms ms after the death (limit $3 ms)"; }
  [[ $(cat "$work/runs/$name/checkpoints/latest") == step_00000010.h5 ]] || fail "$name: latest is not step 10"
  srun -n 2 --mpi=pmix "$DPTRAIN" train "${common[@]}" --run.name="$name" --resume auto >"$log.resume" 2>&1 ||
    { cat "$log.resume"; fail "$name: resume failed"; }
  grep -q "resumed from .*step_00000010.h5 at step 10" "$log.resume" || { cat "$log.resume"; fail "$name: no resume"; }
  grep -q "trained 20 steps" "$log.resume" || { cat "$log.resume"; fail "$name: the resumed run did not finish"; }
  echo "trial $name: srun exit $rc, ended $ms ms after the death; resumed from step 10: ok"
  last_log=$log
}

trial kill_on_bad_exit 1 $((timeout_s * 1000))
trial no_kill_on_bad_exit 0 $((timeout_s * 1000 + 5000))
if grep -q "collective watchdog:" "$last_log"; then
  grep "collective watchdog:" "$last_log" | grep -q "no answer within .* from rank(s) 1 (dead" ||
    { cat "$last_log"; fail "the watchdog did not report rank 1 as silent"; }
  echo "watchdog report: $(grep -o "collective watchdog:.*" "$last_log" | head -1)"
else
  echo "note: without --kill-on-bad-exit the job still ended before the watchdog (MPI/PMIx noticed the death)"
fi
echo "dead rank under srun: ok"
