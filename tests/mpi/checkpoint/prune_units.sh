#!/usr/bin/env bash
# Structured pruning (prune.structure, Note [Structured pruning], docs/compression.md) of a small
# bert classifier on synthetic text splits, 2 ranks: half of the attention heads and half of the
# FFN neurons removed by step 20, held to step 40. In every checkpoint each head / neuron is
# removed in all of its tensors (weights and biases zero, mask zero) or in none; the count is
# floor(0.5 · units); the masks of step 20 are those of step 40; summary.json and the log report
# the removed units per layer; a run stopped at step 30 and resumed ends bitwise equal to the
# uninterrupted one (masks included); a 1-rank run of the same configuration removes the same
# units (2 ranks hold identical masks); structured pruning of a non-bert model is refused.
# Usage: prune_units.sh <make_text_splits>
source "$DPT_SOURCE_DIR/tests/mpi/train/text_splits.sh"
common=(--config "$DPT_SOURCE_DIR/configs/text_finetune_cls.ini" --data.train="$work/data/cls/train"
        --data.test="$work/data/cls/test" --train.init_from= --train.epochs=0 --train.steps=40
        --model.hidden=32 --model.layers=2 --model.heads=4 --model.ffn=64 --model.vocab_size=200
        --model.dropout=0 --optim.lr=0.001 --optim.warmup_steps=5 --run.dir="$work/runs" --log.progress=lines
        --log.every_steps=10 --eval.every_steps=0 --checkpoint.every_steps=10
        --prune.structure=both --prune.sparsity=0.5 --prune.end_step=20 --prune.every_steps=5)
train() {  # train RANKS NAME [options...]; output in $work/NAME.log
  local ranks=$1 name=$2
  shift 2
  mpiexec -n "$ranks" "$DPTRAIN" train "${common[@]}" --run.name="$name" "$@" >>"$work/$name.log" 2>&1 ||
    { echo "FAIL: training $name on $ranks rank(s):"; tail -30 "$work/$name.log"; exit 1; }
}
ckpt() { echo "$work/runs/$1/checkpoints/step_$(printf %08d "$2").h5"; }

train 2 full
train 2 part --stop-after 30
train 2 part --resume auto
train 1 one
"${compare[@]}" state "$(ckpt full 40)" "$(ckpt part 40)"
grep -q "pruned heads bert.encoder.layer.0: [0-4] of 4" "$work/full.log" || { cat "$work/full.log"; exit 1; }
grep -q "pruned neurons total: 64 of 128" "$work/full.log" || { cat "$work/full.log"; exit 1; }

/usr/bin/python3 - "$(ckpt full 20)" "$(ckpt full 40)" "$(ckpt one 40)" "$work/runs/full/summary.json" <<'PY'
import json, sys
import h5py, numpy as np
at20, at40, one40, summary = sys.argv[1:]
layers, heads, width, ffn = 2, 4, 8, 64
# (tensor, axis along which its units lie) per kind; Note [Structured pruning]
members = {
    "heads": [(f"attention.self.{p}.{t}", 0) for p in ("query", "key", "value") for t in ("weight", "bias")]
             + [("attention.output.dense.weight", 1)],
    "neurons": [("intermediate.dense.weight", 0), ("intermediate.dense.bias", 0), ("output.dense.weight", 1)],
}
count = {"heads": heads, "neurons": ffn}
def units(a, axis, n):  # [n, everything else of a unit]
    return np.moveaxis(a, axis, 0).reshape(n, -1)
with h5py.File(at20, "r") as f20, h5py.File(at40, "r") as f, h5py.File(one40, "r") as one:
    expected = {f"bert.encoder.layer.{i}.{name}" for i in range(layers) for kind in members for name, _ in members[kind]}
    assert set(f["prune"]) == expected, sorted(set(f["prune"]) ^ expected)
    removed = {kind: {} for kind in members}
    for i in range(layers):
        for kind, parts in members.items():
            layer = f"bert.encoder.layer.{i}"
            gone = None
            for name, axis in parts:
                full = f"{layer}.{name}"
                mask, w = f["prune"][full][()], f["model"][full][()]
                assert np.all(w[mask == 0] == 0), f"{full}: masked values are not zero"
                m = units(mask, axis, count[kind])
                assert np.all((m == 0).all(1) | (m == 1).all(1)), f"{full}: a unit is partly masked"
                g = (m == 0).all(1)
                assert gone is None or np.array_equal(g, gone), f"{full}: other units removed than in {layer}"
                gone = g
                assert np.array_equal(mask, f20["prune"][full][()]), f"{full}: the mask changed after step 20"
                assert np.array_equal(mask, one["prune"][full][()]), f"{full}: 1 rank removed other units"
                assert np.all(units(w, axis, count[kind])[~g] != 0), f"{full}: a kept unit has zeros"
            removed[kind][layer] = int(gone.sum())
reported = json.load(open(summary))
for kind in members:
    total = sum(removed[kind].values())
    assert total == layers * count[kind] // 2, (kind, removed[kind])
    assert reported[f"pruned_{kind}"] == {**removed[kind], "total": total}, (kind, reported[f"pruned_{kind}"])
print("removed", removed)
PY

# Structured pruning of a model that has no heads is refused before any work.
if "$DPTRAIN" train --config "$DPT_SOURCE_DIR/configs/fashion_mnist_mlp.ini" --prune.structure=heads \
    --prune.sparsity=0.5 --run.dir="$work/runs" >"$work/mlp.log" 2>&1; then
  echo "FAIL: prune.structure=heads was accepted for the mlp"; exit 1
fi
grep -q "model.type=mlp: use prune.structure=none" "$work/mlp.log" || { cat "$work/mlp.log"; exit 1; }
echo "prune units: ok"
