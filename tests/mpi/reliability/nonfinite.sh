#!/usr/bin/env bash
# Non-finite values on one rank of two (DPT_TRAIN_FAULT poisons rank 1's input in step 7).
#  abort (default): both ranks stop with an error naming step 7, rank 1's loss and the first
#    parameter whose gradient is non-finite; exit non-zero; no checkpoint after step 5.
#  skip: the run completes; step 7's optimizer step is dropped on every rank (the model and
#    optimizer state after step 7 equal those after step 6, bit for bit), and metrics.jsonl and
#    summary.json count one skipped step.
#  skip with ddp.shard_optimizer=true (ZeRO-1): the same decision on every rank.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

log=$work/abort.log
DPT_TRAIN_FAULT=nan:1:7 expect_failure 60 "$log" mpiexec -n 2 "$DPTRAIN" train "${common[@]}" --run.name=abort \
  --checkpoint.every_steps=5
expected="non-finite values in step 7: the loss of rank(s) 1 is NaN/Inf; the global gradient norm is NaN; first parameter with a non-finite gradient: "
[[ $(grep -c "TrainingError: $expected" "$log") -eq 2 ]] || { cat "$log"; fail "both ranks must report: $expected"; }
[[ $(cat "$work/runs/abort/checkpoints/latest") == step_00000005.h5 ]] || fail "abort: a checkpoint after step 5"
echo "abort: $(grep -m1 -o "non-finite values in step 7.*gradient: [^ .]*" "$log") (exit $rc): ok"

log=$work/skip.log
DPT_TRAIN_FAULT=inf:1:7 run_ok "$log" mpiexec -n 2 "$DPTRAIN" train "${common[@]}" --run.name=skip \
  --train.nonfinite=skip --checkpoint.every_steps=1 --checkpoint.keep=0
grep -q "step 7 skipped on every rank (train.nonfinite=skip): the loss of rank(s) 1 is NaN/Inf" "$log" ||
  { cat "$log"; fail "no skip note"; }
/usr/bin/python3 - "$work/runs/skip" <<'PY'
import json, math, sys
run = sys.argv[1]
lines = [json.loads(l) for l in open(f"{run}/metrics.jsonl")]
steps = {l["step"]: l for l in lines if "skipped_steps" in l}
assert [steps[s]["skipped_steps"] for s in (5, 10, 30)] == [0, 1, 1], steps
assert all(math.isfinite(l["loss"]) for l in steps.values()), steps
summary = json.load(open(f"{run}/summary.json"))
assert summary["skipped_steps"] == 1 and summary["steps"] == 30 and summary["completed"], summary
PY
if /usr/bin/python3 -c "import h5py, numpy" 2>/dev/null; then
  /usr/bin/python3 - "$work/runs/skip/checkpoints" <<'PY'
import sys
import h5py, numpy as np
d = sys.argv[1]
def state(step):
    out = {}
    with h5py.File(f"{d}/step_{step:08d}.h5", "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset)
                     and n.startswith(("model/", "optimizer/")) else None)
    return out
s6, s7, s8 = state(6), state(7), state(8)
assert s6 and s6.keys() == s7.keys() == s8.keys()
assert all(np.array_equal(s6[k], s7[k]) for k in s6), [k for k in s6 if not np.array_equal(s6[k], s7[k])]
assert any(not np.array_equal(s7[k], s8[k]) for k in s7), "step 8 changed nothing"
assert all(np.isfinite(v).all() for v in s8.values() if v.dtype.kind == "f")
print(f"skip: {len(s6)} model/optimizer datasets equal after steps 6 and 7, changed by step 8")
PY
fi
# ZeRO-1: the loss flags travel in their own all-reduce and the sharded norm decides.
log=$work/sharded.log
DPT_TRAIN_FAULT=nan:1:7 run_ok "$log" mpiexec -n 2 "$DPTRAIN" train "${common[@]}" --run.name=sharded \
  --train.nonfinite=skip --ddp.shard_optimizer=true
grep -q "step 7 skipped on every rank (train.nonfinite=skip): the loss of rank(s) 1 is NaN/Inf" "$log" ||
  { cat "$log"; fail "sharded: no skip note"; }
/usr/bin/python3 -c "
import json, sys
s = json.load(open(sys.argv[1]))
assert s['skipped_steps'] == 1 and s['optimizer_sharded'] and s['completed'] and s['steps'] == 30, s
" "$work/runs/sharded/summary.json" || fail "sharded: summary"
echo "sharded skip: ok"
echo "non-finite values: ok"
