# Sourced by the reliability script tests (docs/reliability.md): a scratch directory with the
# Fashion-MNIST test split prepared as training data (skips with 77 without the Debian
# dataset), a short MLP run, and helpers that run a job expected to fail and time it.
# shellcheck shell=bash
set -euo pipefail
: "${DPTRAIN:?set DPTRAIN to the dptrain binary (CTest does)}"
: "${DPT_SOURCE_DIR:?set DPT_SOURCE_DIR to the source tree (CTest does)}"
src=/usr/share/datasets/fashion-mnist
[[ -f $src/t10k-images-idx3-ubyte.gz ]] || { echo "SKIP: $src missing (apt-get install dataset-fashion-mnist)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$DPTRAIN" prepare idx --images $src/t10k-images-idx3-ubyte.gz --labels $src/t10k-labels-idx1-ubyte.gz \
  --out "$work/data" --shards 2 >/dev/null

fail() { echo "FAIL: $*" >&2; exit 1; }

# 30 steps of 64 samples (one micro-batch of 32 per rank); callers choose the checkpoints.
common=(--config "$DPT_SOURCE_DIR/configs/fashion_mnist_mlp.ini" --data.train="$work/data" --data.test=
        --run.dir="$work/runs" --log.progress=lines --log.every_steps=5
        --train.global_batch=64 --train.micro_batch=32 --train.steps=30 --optim.warmup_steps=0 --run.threads=1)

# expect_failure <seconds> <log> <command...>: runs the command (a job that must fail), killing
# it after <seconds> (a hang). Fails the test when it exits 0 or hangs. Sets `rc` (its exit code),
# `secs` (its wall time) and `end_ns` (when it ended, as `date +%s%N`).
expect_failure() {
  local limit=$1 log=$2
  shift 2
  local start=$SECONDS
  rc=0
  timeout --signal=KILL "$limit" "$@" >"$log" 2>&1 || rc=$?
  end_ns=$(date +%s%N)
  secs=$((SECONDS - start))
  ((secs < limit)) || { cat "$log"; fail "'$*' hung: killed after $limit s"; }
  ((rc != 0)) || { cat "$log"; fail "'$*' exited 0 but was expected to fail"; }
}

# death_to_end_ms <log>: milliseconds from the fault line's at_ns=<ns> (the moment a rank died
# or stalled) to end_ns (the job's end).
death_to_end_ms() {
  local at
  at=$(sed -n 's/.* at_ns=\([0-9]*\).*/\1/p' "$1" | head -1)
  [[ -n $at ]] || { cat "$1"; fail "no fault line with at_ns= in $1"; }
  echo $(((end_ns - at) / 1000000))
}

# run_ok <log> <command...>: a run that must succeed.
run_ok() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 || { cat "$log"; fail "'$*' failed"; }
}
