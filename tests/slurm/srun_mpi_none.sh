#!/usr/bin/env bash
# Tasks that cannot form one MPI world (`srun --mpi=none -n 2`: no PMI for Open MPI) end with a
# clear error and a failed step — never as two independent single-rank trainings writing the
# same run directory.
# shellcheck source=tests/slurm/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
slurm_setup
prepare_small_data

set +e
timeout 120 srun --mpi=none -n 2 "$DPTRAIN" train --config "$DPT_SOURCE_DIR/configs/fashion_mnist_mlp.ini" \
  --data.train="$work/data/test" --data.test="$work/data/test" --run.dir="$work/runs" --run.name=none \
  --train.steps=20 --log.progress=off --run.threads=1 >"$work/out.txt" 2>&1
rc=$?
set -e
cat "$work/out.txt"
((rc != 0)) || fail "srun --mpi=none -n 2 succeeded; it must fail"
((rc != 124)) || fail "srun --mpi=none -n 2 hung (killed after 120 s)"
# The clear error: dptrain's launcher check (before MPI_Init here; after it when the tasks
# became one-rank worlds) names the mismatch and the fix.
grep -qE "cannot form one MPI world|the launcher announced 2 tasks" "$work/out.txt" ||
  fail "no launcher-check error in the output"
grep -q "srun --mpi=pmix" "$work/out.txt" || fail "the error does not say how to launch"
# No training happened: nothing was logged, and no "trained N steps" line.
[[ ! -s $work/runs/none/metrics.jsonl ]] || fail "a training ran and wrote metrics.jsonl"
! grep -q "^trained " "$work/out.txt" || fail "a task reported a finished training"
echo "srun --mpi=none: refused with exit $rc"
