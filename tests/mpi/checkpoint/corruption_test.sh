#!/usr/bin/env bash
# Damaged checkpoints: a flipped byte in a tensor, a truncated file and a missing dataset are
# each reported by `dptrain inspect` (exit 1, the damage named); `--resume auto` reports the
# damaged newest checkpoint and falls back to the previous one; `--resume <damaged file>`
# fails with a CheckpointError (exit 1); a checkpoint of another model fails with the first
# mismatching tensor named (exit 2).
source "$DPT_SOURCE_DIR/tests/mpi/checkpoint/common.sh"
steps=30
train 2 base
damage() {  # <run> <how>: damages the run's newest checkpoint (step 30)
  /usr/bin/python3 - "$(ckpt "$1" 30)" "$2" <<'PY'
import os, sys, h5py
path, how = sys.argv[1], sys.argv[2]
if how == "flip":
    with h5py.File(path, "r") as f:
        offset = f["model/fc1.weight"].id.get_offset() + 4096
    with open(path, "r+b") as f:
        f.seek(offset); b = f.read(1); f.seek(offset); f.write(bytes([b[0] ^ 0x01]))
elif how == "truncate":
    os.truncate(path, os.path.getsize(path) * 2 // 3)
elif how == "missing":
    with h5py.File(path, "r+") as f:
        del f["optimizer/fc0.bias/exp_avg"]
PY
}
expect_inspect_failure() {  # <file> <text>
  set +e
  "$DPTRAIN" inspect "$1" >"$work/inspect.txt" 2>&1
  local rc=$?
  set -e
  [[ $rc -eq 1 ]] || { echo "FAIL: inspect of a damaged file: exit $rc"; cat "$work/inspect.txt"; exit 1; }
  grep -q "$2" "$work/inspect.txt" || { echo "FAIL: inspect does not say '$2'"; cat "$work/inspect.txt"; exit 1; }
}
for how in flip truncate missing; do
  cp -r "$work/runs/base" "$work/runs/$how"
  damage $how $how
  case $how in
    flip) expect_inspect_failure "$(ckpt $how 30)" "model/fc1.weight.*DAMAGED" ;;
    truncate) expect_inspect_failure "$(ckpt $how 30)" "truncated" ;;
    missing) expect_inspect_failure "$(ckpt $how 30)" "optimizer/fc0.bias/exp_avg listed in its manifest is missing" ;;
  esac
  train 2 $how --resume auto
  grep -q "cannot resume from .*step_00000030.h5.*falling back to .*step_00000020.h5" "$work/$how.log" ||
    { echo "FAIL: $how: no fallback report"; cat "$work/$how.log"; exit 1; }
  grep -q "resumed from .*step_00000020.h5 at step 20" "$work/$how.log" || { echo "FAIL: $how: no fallback"; exit 1; }
  "$DPTRAIN" inspect "$(ckpt $how 30)" >/dev/null  # rewritten, intact again
  "${compare[@]}" state "$(ckpt base 30)" "$(ckpt $how 30)"
  echo "$how: reported, fell back to step 20, rewrote step 30 identically"
done

# An explicitly named damaged file is an error, not a fallback.
cp -r "$work/runs/base" "$work/runs/explicit"
damage explicit flip
set +e
mpiexec -n 2 "$DPTRAIN" train "${common[@]}" --train.steps=$steps --run.name=explicit --resume "$(ckpt explicit 30)" \
  >"$work/explicit.log" 2>&1
rc=$?
set -e
[[ $rc -eq 1 ]] && grep -q "CheckpointError.*fails its checksum" "$work/explicit.log" ||
  { echo "FAIL: explicit damaged resume: exit $rc"; tail "$work/explicit.log"; exit 1; }

# Another model: refused before any training, naming the first tensor that differs.
set +e
mpiexec -n 2 "$DPTRAIN" train "${common[@]}" --train.steps=$steps --run.name=base --model.hidden=128,256 --resume auto \
  >"$work/mismatch.log" 2>&1
rc=$?
set -e
[[ $rc -eq 2 ]] && grep -q "model/fc0.weight is \[256, 784\] float32 in the checkpoint but \[128, 784\]" "$work/mismatch.log" ||
  { echo "FAIL: model mismatch: exit $rc"; tail "$work/mismatch.log"; exit 1; }
echo "corruption: ok"
