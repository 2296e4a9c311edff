#!/usr/bin/env bash
# A single process that the environment says is one of two Slurm tasks must refuse to run
# (exit 1) and say how to launch; with the check disabled it runs.
set -u
out=$(SLURM_NTASKS=2 "$DPTRAIN" bench allreduce --max-bytes 4096 --seconds 0.01 2>&1)
rc=$?
[[ $rc -eq 1 ]] || { echo "expected exit 1, got $rc: $out"; exit 1; }
grep -q "srun --mpi=pmix" <<<"$out" || { echo "no launch hint in: $out"; exit 1; }
grep -q "SLURM_NTASKS=2" <<<"$out" || { echo "variable not named in: $out"; exit 1; }
[[ $(grep -c "CommError" <<<"$out") -eq 1 ]] || { echo "expected one error line: $out"; exit 1; }
SLURM_NTASKS=2 "$DPTRAIN" bench allreduce --max-bytes 4096 --seconds 0.01 --run.launcher_check=false \
  >/dev/null 2>&1 || { echo "--run.launcher_check=false did not skip the check"; exit 1; }
echo "launcher check: ok"
