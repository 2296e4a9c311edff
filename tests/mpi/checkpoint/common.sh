# Sourced by the checkpoint script tests: a scratch directory with Fashion-MNIST prepared
# (skips with 77 when the Debian dataset or python3-h5py is missing) and a short MLP training
# command. Callers set their own run names and extra options.
set -euo pipefail
src=/usr/share/datasets/fashion-mnist
[[ -f $src/train-images-idx3-ubyte.gz ]] || { echo "SKIP: $src missing (apt-get install dataset-fashion-mnist)"; exit 77; }
/usr/bin/python3 -c "import h5py, numpy" 2>/dev/null || { echo "SKIP: no python3-h5py"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$DPTRAIN" prepare idx --images $src/train-images-idx3-ubyte.gz --labels $src/train-labels-idx1-ubyte.gz \
  --out "$work/train" --shards 3 >/dev/null
"$DPTRAIN" prepare idx --images $src/t10k-images-idx3-ubyte.gz --labels $src/t10k-labels-idx1-ubyte.gz \
  --out "$work/test" --shards 2 >/dev/null
compare=(/usr/bin/python3 "$DPT_SOURCE_DIR/tests/mpi/checkpoint/compare.py")

# train <ranks> <run name> [options...]: the MLP on Fashion-MNIST, $steps (default 40) steps of
# 128 samples, a checkpoint every 10 steps; output in $work/<name>.log (shown when it fails).
common=(--config "$DPT_SOURCE_DIR/configs/fashion_mnist_mlp.ini" --data.train="$work/train"
        --data.test="$work/test" --run.dir="$work/runs" --log.progress=lines
        --log.every_steps=10 --eval.every_steps=20 --checkpoint.every_steps=10 --train.micro_batch=32)
train() {
  local ranks=$1 name=$2
  shift 2
  mpiexec -n "$ranks" "$DPTRAIN" train "${common[@]}" --train.steps="${steps:-40}" --run.name="$name" "$@" \
    >>"$work/$name.log" 2>&1 ||
    { echo "FAIL: training $name on $ranks rank(s):"; tail -30 "$work/$name.log"; return 1; }
}
# Like train, but the run is expected to fail (a crash); returns 0 then.
train_crashing() {
  local ranks=$1 name=$2
  shift 2
  if mpiexec -n "$ranks" "$DPTRAIN" train "${common[@]}" --train.steps="${steps:-40}" --run.name="$name" "$@" \
    >>"$work/$name.log" 2>&1; then
    echo "FAIL: run $name was expected to crash:"; tail -30 "$work/$name.log"; return 1
  fi
}
ckpt() { echo "$work/runs/$1/checkpoints/step_$(printf %08d "$2").h5"; }
