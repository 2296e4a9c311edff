#!/usr/bin/env bash
# Pruning (Note [Gradual pruning], docs/compression.md) on the MLP, 2 ranks: 80% sparsity reached
# at step 20 and held to step 40; in every checkpoint the weights under a zero mask are exactly
# zero; the masks of step 20 are those of step 40; summary.json reports the sparsity; a run
# stopped at step 30 and resumed ends bitwise equal to the uninterrupted one (masks included).
source "$DPT_SOURCE_DIR/tests/mpi/checkpoint/common.sh"
prune=(--prune.sparsity=0.8 --prune.end_step=20 --prune.every_steps=5)
train 2 full "${prune[@]}"
train 2 part "${prune[@]}" --stop-after 30
train 2 part "${prune[@]}" --resume auto
"${compare[@]}" state "$(ckpt full 40)" "$(ckpt part 40)"
/usr/bin/python3 - "$(ckpt full 20)" "$(ckpt full 40)" "$work/runs/full/summary.json" <<'PY'
import json, sys
import h5py, numpy as np
at20, at40, summary = sys.argv[1:]
zeros = total = 0
with h5py.File(at20, "r") as f, h5py.File(at40, "r") as g:
    names = [n for n in g["prune"]]
    assert names, "no masks in the checkpoint"
    for n in names:
        mask, w = g["prune"][n][()], g["model"][n][()]
        assert np.all(w[mask == 0] == 0), f"{n}: masked weights are not zero"
        assert np.array_equal(mask, f["prune"][n][()]), f"{n}: the mask changed after the schedule ended"
        zeros += int(np.sum(w == 0)); total += w.size
fraction = zeros / total
reported = json.load(open(summary))["sparsity"]["total"]
print(f"sparsity {fraction:.4f} over {total} weights, summary.json {reported:.4f}")
assert fraction >= 0.8 - 1e-3 and abs(fraction - reported) < 1e-9, (fraction, reported)
PY
echo "prune resume: ok"
