#!/usr/bin/env bash
# Prepares the Fashion-MNIST test split with dptrain and checks it with /usr/bin/python3 + h5py
# against the IDX source (h5py_interop.py).
set -u
src=/usr/share/datasets/fashion-mnist
images=$src/t10k-images-idx3-ubyte.gz
labels=$src/t10k-labels-idx1-ubyte.gz
[[ -f $images && -f $labels ]] || { echo "SKIP: $src missing (apt-get install dataset-fashion-mnist)"; exit 77; }
/usr/bin/python3 -c "import h5py, numpy" 2>/dev/null || { echo "SKIP: no python3-h5py"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$DPTRAIN" prepare idx --images "$images" --labels "$labels" --out "$tmp/plain" --shards 3 >/dev/null 2>&1 ||
  { echo "FAIL: prepare"; exit 1; }
"$DPTRAIN" prepare idx --images "$images" --labels "$labels" --out "$tmp/packed" --shards 2 --compress \
  >/dev/null 2>&1 || { echo "FAIL: prepare --compress"; exit 1; }
/usr/bin/python3 "$DPT_SOURCE_DIR/tests/unit/data/h5py_interop.py" "$tmp/plain" "$images" "$labels" &&
  /usr/bin/python3 "$DPT_SOURCE_DIR/tests/unit/data/h5py_interop.py" "$tmp/packed" "$images" "$labels"
