#!/usr/bin/env bash
# A short `dptrain train` on Fashion-MNIST with 2 ranks: the loss falls, metrics.jsonl and
# summary.json are well-formed, evaluation counts every test sample once; a batch that the
# ranks cannot divide is refused before any work.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src=/usr/share/datasets/fashion-mnist
"$DPTRAIN" prepare idx --images $src/train-images-idx3-ubyte.gz --labels $src/train-labels-idx1-ubyte.gz \
  --out "$work/train" --shards 3 >/dev/null
"$DPTRAIN" prepare idx --images $src/t10k-images-idx3-ubyte.gz --labels $src/t10k-labels-idx1-ubyte.gz \
  --out "$work/test" --shards 2 >/dev/null

common=(--data.train="$work/train" --data.test="$work/test" --data.pixel_mean=0.286 --data.pixel_std=0.353
        --run.dir="$work/runs" --log.progress=lines)
mpiexec -n 2 "$DPTRAIN" train --config "$DPT_SOURCE_DIR/configs/fashion_mnist_mlp.ini" "${common[@]}" \
  --run.name=e2e --train.steps=60 --log.every_steps=10 --optim.warmup_steps=5 --eval.every_steps=30 \
  >"$work/out.txt" 2>&1 || { cat "$work/out.txt"; exit 1; }
grep -q "test accuracy" "$work/out.txt" || { cat "$work/out.txt"; exit 1; }

/usr/bin/python3 - "$work/runs/e2e" <<'PY'
import json, sys
run = sys.argv[1]
lines = [json.loads(l) for l in open(f"{run}/metrics.jsonl")]
steps = [l for l in lines if "loss" in l]
evals = [l for l in lines if "eval_accuracy" in l]
assert [l["step"] for l in steps] == [10, 20, 30, 40, 50, 60], steps
keys = {"step", "epoch", "loss", "lr", "samples_per_s", "step_time_s", "data_wait_s",
        "forward_backward_s", "comm_exposed_s", "optimizer_s", "skipped_steps"}
for l in steps:
    assert set(l) == keys, l
    assert l["skipped_steps"] == 0, l
    assert l["samples_per_s"] > 0 and l["step_time_s"] > 0
    parts = l["data_wait_s"] + l["forward_backward_s"] + l["comm_exposed_s"] + l["optimizer_s"]
    assert parts <= l["step_time_s"] * 1.05, l
assert steps[-1]["loss"] < 0.8 * steps[0]["loss"], [l["loss"] for l in steps]
assert [e["step"] for e in evals] == [30, 60], evals
assert all(e["eval_samples"] == 10000 for e in evals), evals
summary = json.load(open(f"{run}/summary.json"))
assert summary["world_size"] == 2 and summary["steps"] == 60 and summary["samples"] == 60 * 128, summary
assert summary["eval_samples"] == 10000 and summary["eval_accuracy"] > 0.6, summary
assert "[train]" in open(f"{run}/config.ini").read()
print("losses", [round(l["loss"], 3) for l in steps], "accuracy", summary["eval_accuracy"])
PY

# global_batch 100 is not a multiple of micro_batch 64 x 2 ranks: refused, exit code 2.
set +e
mpiexec -n 2 "$DPTRAIN" train --config "$DPT_SOURCE_DIR/configs/fashion_mnist_mlp.ini" "${common[@]}" \
  --run.name=bad --train.global_batch=100 >"$work/bad.txt" 2>&1
rc=$?
set -e
[[ $rc -eq 2 ]] || { echo "indivisible batch: expected exit 2, got $rc"; cat "$work/bad.txt"; exit 1; }
grep -q "ConfigError" "$work/bad.txt" || { cat "$work/bad.txt"; exit 1; }
[[ ! -e "$work/runs/bad/metrics.jsonl" ]] || { echo "a refused run left metrics behind"; exit 1; }
echo "train e2e: ok"
