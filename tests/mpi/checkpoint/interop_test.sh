#!/usr/bin/env bash
# Interop: a checkpoint read with h5py into an equivalent torch.nn MLP gives the loss and
# accuracy `dptrain eval` reports on the Fashion-MNIST test split; `dptrain export` writes an
# archive that Python's torch.jit.load and C++'s torch::load (export_load, $1) read back to
# the same parameters. Skips (77) without python3-torch.
source "$DPT_SOURCE_DIR/tests/mpi/checkpoint/common.sh"
steps=30
/usr/bin/python3 -c "import torch" 2>/dev/null || { echo "SKIP: no python3-torch"; exit 77; }
train 2 mlp
file=$(ckpt mlp 30)
mpiexec -n 2 "$DPTRAIN" eval --checkpoint "$file" >"$work/eval.txt" 2>&1 || { cat "$work/eval.txt"; exit 1; }
"$DPTRAIN" export --checkpoint "$file" --out "$work/model.pt" >"$work/export.txt" 2>&1 || { cat "$work/export.txt"; exit 1; }
"$1" "$work/model.pt" "$file"
/usr/bin/python3 "$DPT_SOURCE_DIR/tests/mpi/checkpoint/interop.py" "$file" "$work/eval.txt" "$work/model.pt" \
  $src/t10k-images-idx3-ubyte.gz $src/t10k-labels-idx1-ubyte.gz
echo "interop: ok"
