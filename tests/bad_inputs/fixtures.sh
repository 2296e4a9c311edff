# Valid inputs for the bad-input cases (sourced by run.sh): built once, under $fixtures.
#   $fixtures/test          Fashion-MNIST t10k as a 2-shard split
#   $fixtures/images.idx / labels.idx    the t10k IDX files, uncompressed
#   $fixtures/ckpt.h5       a checkpoint of the MLP after 2 steps on that split
#   $fixtures/train.ini     a config that trains on it (one rank, 2 steps)
# Helpers the cases use to damage copies of them are below.

make_fixtures() {
  "$DPTRAIN" prepare idx --images "$src/t10k-images-idx3-ubyte.gz" --labels "$src/t10k-labels-idx1-ubyte.gz" \
    --out "$fixtures/test" --shards 2 >/dev/null || return 1
  gzip -dc "$src/t10k-images-idx3-ubyte.gz" >"$fixtures/images.idx"
  gzip -dc "$src/t10k-labels-idx1-ubyte.gz" >"$fixtures/labels.idx"
  cat >"$fixtures/train.ini" <<INI
[run]
name = fixture
[data]
train = $fixtures/test
test = $fixtures/test
[model]
type = mlp
hidden = 32
[train]
global_batch = 64
micro_batch = 64
steps = 2
[log]
progress = off
INI
  "$DPTRAIN" train --config "$fixtures/train.ini" --run.dir="$fixtures/runs" --eval.micro_batch=2000 \
    >"$logs/fixture-train.txt" 2>&1 || { cat "$logs/fixture-train.txt"; return 1; }
  cp "$fixtures/runs/fixture/checkpoints/step_00000002.h5" "$fixtures/ckpt.h5"
}

# copy_split <name>: a fresh copy of the valid split at $work/<name>; prints its path.
copy_split() {
  rm -rf "${work:?}/$1"
  cp -r "$fixtures/test" "$work/$1"
  echo "$work/$1"
}

# edit_manifest <split> <python statement on m>: rewrites <split>/manifest.json.
edit_manifest() {
  /usr/bin/python3 - "$1/manifest.json" "$2" <<'PY'
import json, sys
path, stmt = sys.argv[1], sys.argv[2]
m = json.load(open(path))
exec(stmt)
open(path, "w").write(json.dumps(m, indent=2))
PY
}

# copy_ckpt <name>: a fresh copy of the valid checkpoint at $work/<name>.h5; prints its path.
copy_ckpt() {
  cp "$fixtures/ckpt.h5" "$work/$1.h5"
  echo "$work/$1.h5"
}

# edit_ckpt <file> <python statement on the h5py File f>, with `rewrite_manifest(f, m)` to
# store an edited /meta/manifest with a valid checksum.
edit_ckpt() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys, zlib, h5py, numpy
def rewrite_manifest(f, m):
    text = json.dumps(m)
    del f["meta/manifest"]
    f["meta"].create_dataset("manifest", data=numpy.bytes_(text))
    f["meta"].attrs["manifest_crc32"] = numpy.int64(zlib.crc32(text.encode()))
def manifest(f):
    return json.loads(f["meta/manifest"][()])
with h5py.File(sys.argv[1], "r+") as f:
    exec(sys.argv[2])
PY
}

# write_idx <file> <magic type> <dims, comma-separated> <bytes of data>: a raw IDX file.
write_idx() {
  /usr/bin/python3 - "$@" <<'PY'
import struct, sys
path, kind, dims, n = sys.argv[1], int(sys.argv[2], 0), [int(d) for d in sys.argv[3].split(",")], int(sys.argv[4])
with open(path, "wb") as f:
    f.write(bytes([0, 0, kind, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + bytes(i % 7 for i in range(n)))
PY
}
