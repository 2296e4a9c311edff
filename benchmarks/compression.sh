#!/usr/bin/env bash
# Resource optimization figures (docs/compression.md), written to benchmarks/results/compression.md:
#   ZeRO-1: the Fashion-MNIST CNN with AdamW on 4 ranks, $steps steps, sharded and unsharded in
#           alternating order ($rounds pairs): optimizer-state bytes per rank, step throughput
#           (median of the per-pair ratios), largest parameter difference after the run.
#   prune:  the CNN trained $epochs epoch(s) on 2 ranks, dense and with gradual pruning to 80% sparsity
#           (steps $prune_start..$prune_end of the 468 per epoch): test accuracy, sparsity per layer.
#   precision: the CNN on 2 ranks for $precision_steps steps with train.precision fp32 and bf16:
#           the logged losses side by side, the largest relative difference, test accuracy.
#   int8:   those CNNs and the MLP, exported in float32 and int8: file sizes and test accuracy of
#           the checkpoint and of the int8 export.
#   bert:   the fortunes classifier (configs/text_finetune_cls.ini, from the pre-trained encoder in
#           $bert_pretrained) on 2 ranks: dense, pruned to 50% (single weights), and with 50% of its
#           attention heads and FFN neurons removed (prune.structure=both); the dense one exported
#           in int8. Needs launch/prepare_fortunes.sh's data and launch/text_pipeline.sh's pre-training.
# Usage: benchmarks/compression.sh [build-dir]   (default: build). Environment: steps (40),
# rounds (3), epochs (1), prune_start (100), prune_end (300), precision_steps (200), out (the results file),
# zero_ranks (4; the ZeRO-1 section's world size), sections ("zero prune int8 precision bert"),
# bert_data (data/fortunes/cls), bert_pretrained (runs/text_pretrain_mlm), bert_steps (0 = the
# config's epochs; fewer for a trial), bert_prune_start (0; the end is 3/4 of the way to the last step).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build}/dptrain
out=${out:-$root/benchmarks/results/compression.md}
src=/usr/share/datasets/fashion-mnist
steps=${steps:-40} rounds=${rounds:-3} epochs=${epochs:-1} sections=${sections:-"zero prune int8 precision bert"}
prune_start=${prune_start:-100} prune_end=${prune_end:-300} precision_steps=${precision_steps:-200}
zero_ranks=${zero_ranks:-4}
bert_data=${bert_data:-$root/data/fortunes/cls} bert_pretrained=${bert_pretrained:-$root/runs/text_pretrain_mlm}
bert_steps=${bert_steps:-0} bert_prune_start=${bert_prune_start:-0}
if [[ $sections == *bert* ]]; then  # checked first: the other sections take a while
  [[ -f $bert_data/train/manifest.json && -f $bert_data/test/manifest.json ]] ||
    { echo "compression.sh: no fortunes classification data in $bert_data: run launch/prepare_fortunes.sh, or set bert_data=" >&2; exit 1; }
  [[ -f $bert_pretrained/checkpoints/latest ]] ||
    { echo "compression.sh: no pre-trained run in $bert_pretrained: run launch/text_pipeline.sh, or set bert_pretrained=" >&2; exit 1; }
fi
[[ $(id -u) -eq 0 ]] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for split in train:train test:t10k; do
  [[ $sections == *zero* || $sections == *prune* || $sections == *int8* || $sections == *precision* ]] || break
  "$bin" prepare idx --images "$src/${split##*:}-images-idx3-ubyte.gz" --labels "$src/${split##*:}-labels-idx1-ubyte.gz" \
    --out "$work/${split%%:*}" --shards 4 >/dev/null
done
data=(--data.train="$work/train" --data.test="$work/test" --run.dir="$work/runs" --log.progress=off)
json() { /usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$@"; }

zero_section() {
  local adamw=(--config "$root/configs/fashion_mnist_cnn.ini" "${data[@]}" --optim.name=adamw --optim.lr=0.001
               --optim.weight_decay=0.01 --train.steps="$steps" --train.micro_batch=$((128 / zero_ranks)) --eval.every_steps=0
               --log.every_steps=10)
  local r name
  for ((r = 0; r < rounds; ++r)); do
    # Alternate which runs first, so a drift in the machine's load favours neither.
    for shard in $( ((r % 2)) && echo "true false" || echo "false true"); do
      name=$([[ $shard == true ]] && echo zero || echo plain)_$r
      mpiexec -n "$zero_ranks" "$bin" train "${adamw[@]}" --ddp.shard_optimizer=$shard --run.name="$name" >"$work/$name.log" 2>&1 ||
        { tail -20 "$work/$name.log"; exit 1; }
    done
  done
  # Reference: the unsharded run on 2 ranks (the same global batch, another summation order).
  mpiexec -n 2 "$bin" train "${adamw[@]}" --run.name=plain2 >"$work/plain2.log" 2>&1 || { tail -20 "$work/plain2.log"; exit 1; }
  /usr/bin/python3 - "$work/runs" "$rounds" "$steps" "$zero_ranks" <<'PY'
import json, statistics, sys
import h5py, numpy as np
runs, rounds, steps, w = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
s = lambda name: json.load(open(f"{runs}/{name}/summary.json"))
ratios = [s(f"zero_{r}")["samples_per_s"] / s(f"plain_{r}")["samples_per_s"] for r in range(rounds)]
plain_rate = statistics.median(s(f"plain_{r}")["samples_per_s"] for r in range(rounds))
zero_rate = statistics.median(s(f"zero_{r}")["samples_per_s"] for r in range(rounds))
mem_plain, mem_zero = s("plain_0")["optimizer_state_bytes"], s("zero_0")["optimizer_state_bytes"]
def params(name):
    with h5py.File(f"{runs}/{name}/checkpoints/step_{steps:08d}.h5", "r") as f:
        return {k: f["model"][k][()] for k in f["model"]}
def diff(x, y):
    a, b = params(x), params(y)
    return (max(float(np.max(np.abs(a[k] - b[k]))) for k in a),
            max(float(np.max(np.abs(a[k] - b[k])) / max(np.max(np.abs(a[k])), 1e-12)) for k in a))
print("| | unsharded | ZeRO-1 | ZeRO-1 / unsharded | target |")
print("|---|---|---|---|---|")
print(f"| optimizer state per rank (max over ranks) | {mem_plain:,} B | {mem_zero:,} B | {mem_zero / mem_plain:.3f} | <= 0.3 |")
print(f"| samples/s (median of {rounds}) | {plain_rate:.0f} | {zero_rate:.0f} | {statistics.median(ratios):.3f} "
      f"(median of per-pair ratios {', '.join(f'{x:.3f}' for x in ratios)}) | >= 0.9 |")
print()
print(f"Parameters after {steps} steps (max |difference| over all elements; relative: per tensor, to its largest |value|):")
print()
print("| runs compared | max abs diff | max rel diff |")
print("|---|---|---|")
for x, y, what in (("plain_0", "zero_0", f"unsharded {w} ranks vs ZeRO-1 {w} ranks"),
                   ("plain2", "zero_0", f"unsharded 2 ranks vs ZeRO-1 {w} ranks"),
                   ("plain2", "plain_0", f"control: unsharded 2 ranks vs unsharded {w} ranks"),
                   ("zero_0", "zero_1", f"control: ZeRO-1 {w} ranks, two runs")):
    a, r = diff(f"{x}", f"{y}")
    print(f"| {what} | {a:.2e} | {r:.2e} |")
PY
}

# train <model> <run name> [options...]: 2 ranks, $epochs epoch(s) of configs/fashion_mnist_<model>.ini.
train() {
  local model=$1 name=$2
  shift 2
  mpiexec -n 2 "$bin" train --config "$root/configs/fashion_mnist_$model.ini" "${data[@]}" --train.epochs="$epochs" \
    --eval.every_steps=0 --run.name="$name" "$@" >"$work/$name.log" 2>&1 || { tail -20 "$work/$name.log"; exit 1; }
}
checkpoint_of() { echo "$work/runs/$1/checkpoints/$(cat "$work/runs/$1/checkpoints/latest")"; }
accuracy() { sed -n 's/^eval: .*accuracy \([0-9.e-]*\) .*/\1/p'; }

# One table row: the run's float32 and int8 exports, their sizes and test accuracies (on the
# test split $2, default Fashion-MNIST's).
int8_row() {
  local name=$1 test=${2:-$work/test} ck acc_ck acc_q fp32 int8
  ck=$(checkpoint_of "$name")
  "$bin" export --checkpoint "$ck" --out "$work/$name.fp32.pt" >/dev/null
  "$bin" export --checkpoint "$ck" --out "$work/$name.int8.pt" --quantize int8 >/dev/null
  acc_ck=$(mpiexec -n 2 "$bin" eval --checkpoint "$ck" | accuracy)
  acc_q=$(mpiexec -n 2 "$bin" eval --model "$work/$name.int8.pt" --data.test="$test" | accuracy)
  fp32=$(stat -c %s "$work/$name.fp32.pt") int8=$(stat -c %s "$work/$name.int8.pt")
  /usr/bin/python3 -c "import sys; f, q, a, b = map(float, sys.argv[1:5]); print(f'| {sys.argv[5]} | {int(f):,} B | {int(q):,} B | {q / f:.3f} | {100 * a:.2f}% | {100 * b:.2f}% | {100 * (a - b):.2f} |')" \
    "$fp32" "$int8" "$acc_ck" "$acc_q" "$name"
}

prune_section() {
  train cnn dense
  train cnn pruned --prune.sparsity=0.8 --prune.start_step="$prune_start" --prune.end_step="$prune_end"
  /usr/bin/python3 - "$work/runs" <<'PY'
import json, sys
runs = sys.argv[1]
d, p = (json.load(open(f"{runs}/{n}/summary.json")) for n in ("dense", "pruned"))
print("| run | test accuracy | sparsity (weights) |")
print("|---|---|---|")
print(f"| dense | {100 * d['eval_accuracy']:.2f}% | 0 |")
print(f"| pruned to 80% | {100 * p['eval_accuracy']:.2f}% | {p['sparsity']['total']:.4f} |")
print(f"\nLoss: {100 * (d['eval_accuracy'] - p['eval_accuracy']):.2f} points (target <= 1).\n")
print("Sparsity per layer (pruned run, summary.json):\n")
print("| tensor | zeros |")
print("|---|---|")
for name, value in p["sparsity"].items():
    print(f"| {name} | {value:.4f} |")
PY
}

precision_section() {
  local p
  for p in fp32 bf16; do
    mpiexec -n 2 "$bin" train --config "$root/configs/fashion_mnist_cnn.ini" "${data[@]}" --train.steps="$precision_steps" \
      --log.every_steps=20 --eval.every_steps=0 --checkpoint.at_end=false --train.precision=$p --run.name="prec_$p" \
      >"$work/prec_$p.log" 2>&1 || { tail -20 "$work/prec_$p.log"; exit 1; }
  done
  /usr/bin/python3 - "$work/runs" <<'PY'
import json, sys
runs = sys.argv[1]
def lines(p):
    records = [json.loads(l) for l in open(f"{runs}/prec_{p}/metrics.jsonl") if l.strip()]
    return {r["step"]: r["loss"] for r in records if "loss" in r}, json.load(open(f"{runs}/prec_{p}/summary.json"))
(f, fs), (b, bs) = lines("fp32"), lines("bf16")
print("| step | fp32 loss | bf16 loss | relative difference |")
print("|---|---|---|---|")
worst = 0.0
for step in sorted(f):
    rel = abs(b[step] - f[step]) / abs(f[step])
    worst = max(worst, rel)
    print(f"| {step} | {f[step]:.4f} | {b[step]:.4f} | {rel:.3f} |")
print()
print(f"Largest relative difference {worst:.3f}; test accuracy fp32 {100 * fs['eval_accuracy']:.2f}%, "
      f"bf16 {100 * bs['eval_accuracy']:.2f}%; samples/s fp32 {fs['samples_per_s']:.0f}, bf16 {bs['samples_per_s']:.0f}.")
PY
}

# bert_train <run name> [options...]: 2 ranks, configs/text_finetune_cls.ini from $bert_pretrained.
bert_train() {
  local name=$1
  shift
  mpiexec -n 2 "$bin" train --config "$root/configs/text_finetune_cls.ini" --data.train="$bert_data/train" \
    --data.test="$bert_data/test" --train.init_from="$bert_pretrained" --run.dir="$work/runs" --log.progress=off \
    --eval.every_steps=0 --run.name="$name" $( ((bert_steps > 0)) && echo "--train.steps=$bert_steps") "$@" \
    >"$work/$name.log" 2>&1 || { tail -20 "$work/$name.log"; exit 1; }
}

bert_section() {
  local start=--prune.start_step=$bert_prune_start
  bert_train bert_dense
  bert_train bert_pruned --prune.sparsity=0.5 "$start"
  bert_train bert_units --prune.sparsity=0.5 --prune.structure=both "$start"
  /usr/bin/python3 - "$work/runs" <<'PY'
import json, sys
runs = sys.argv[1]
d, p, u = (json.load(open(f"{runs}/{n}/summary.json")) for n in ("bert_dense", "bert_pruned", "bert_units"))
def units(s, kind):
    per_layer = s.get(f"pruned_{kind}", {})
    return ", ".join(f"{v}" for k, v in per_layer.items() if k != "total") + f" (total {per_layer.get('total', 0)})"
print(f"{d['steps']} steps each. Sparsity: zeros over the masked tensors (all weight matrices for single weights;")
print("the tensors holding heads and neurons, biases included, for units).")
print()
print("| run | test accuracy | loss vs dense (points) | sparsity | heads removed per layer | neurons removed per layer |")
print("|---|---|---|---|---|---|")
print(f"| dense | {100 * d['eval_accuracy']:.2f}% | | 0 | | |")
for name, s in (("50% of the weights (prune.sparsity=0.5)", p), ("50% of heads and neurons (prune.structure=both)", u)):
    print(f"| {name} | {100 * s['eval_accuracy']:.2f}% | {100 * (d['eval_accuracy'] - s['eval_accuracy']):.2f} "
          f"| {s['sparsity']['total']:.4f} | {units(s, 'heads') if 'pruned_heads' in s else ''} "
          f"| {units(s, 'neurons') if 'pruned_neurons' in s else ''} |")
print("\nTarget: the bert classifier at 50% sparsity loses <= 2 points.")
PY
  echo
  echo "Int8 export of the dense classifier (target: <= 0.3 × the float32 size, <= 0.5 points):"
  echo
  echo "| run | float32 export | int8 export | size ratio | checkpoint accuracy | int8 accuracy | loss (points) |"
  echo "|---|---|---|---|---|---|---|"
  int8_row bert_dense "$bert_data/test"
}

int8_section() {
  echo "| run | float32 export | int8 export | size ratio | checkpoint accuracy | int8 accuracy | loss (points) |"
  echo "|---|---|---|---|---|---|---|"
  [[ -d $work/runs/dense ]] || train cnn dense
  int8_row dense
  [[ -d $work/runs/pruned ]] && int8_row pruned
  train mlp mlp
  int8_row mlp
}

{
  echo "# Compression: ZeRO-1, pruning, int8 export, mixed precision"
  echo
  echo "Made by \`benchmarks/compression.sh\` (steps=$steps rounds=$rounds epochs=$epochs prune_start=$prune_start"
  echo "prune_end=$prune_end precision_steps=$precision_steps bert_steps=$bert_steps bert_prune_start=$bert_prune_start"
  echo "sections=\"$sections\") on $(date -u +%Y-%m-%d),"
  echo "$(nproc) cores, $(mpirun --version | head -1). Load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "(the machine is shared with other sessions: timings are noisy; compare the paired ratios)."
  echo
  if [[ $sections == *zero* ]]; then
    echo "## ZeRO-1 (ddp.shard_optimizer), Fashion-MNIST CNN, AdamW, $zero_ranks ranks on $(nproc) cores$( ((zero_ranks > $(nproc))) && echo " (oversubscribed)")"
    echo
    echo "\`mpiexec -n $zero_ranks build/dptrain train --config configs/fashion_mnist_cnn.ini --optim.name=adamw --optim.lr=0.001"
    echo "--optim.weight_decay=0.01 --train.steps=$steps --train.micro_batch=$((128 / zero_ranks)) --ddp.shard_optimizer=true|false\`, $rounds pairs in alternating"
    echo "order."
    echo
    zero_section
    echo
  fi
  if [[ $sections == *prune* ]]; then
    echo "## Pruning (\`[prune]\`), Fashion-MNIST CNN, 2 ranks"
    echo
    echo "\`mpiexec -n 2 build/dptrain train --config configs/fashion_mnist_cnn.ini --train.epochs=$epochs\` (dense), and the"
    echo "same with \`--prune.sparsity=0.8 --prune.start_step=$prune_start --prune.end_step=$prune_end\` (cubic schedule; the"
    echo "remaining steps fine-tune at 80%). Accuracy on the 10000 test images."
    echo
    prune_section
    echo
  fi
  if [[ $sections == *int8* ]]; then
    echo "## Int8 export (\`dptrain export --quantize int8\`, evaluated with \`dptrain eval --model\`)"
    echo
    echo "The runs above (CNN dense / pruned) and the MLP trained the same way (\`mpiexec -n 2 build/dptrain train"
    echo "--config configs/fashion_mnist_mlp.ini --train.epochs=$epochs\`); accuracy on the 10000 test images."
    echo
    int8_section
    echo
  fi
  if [[ $sections == *precision* ]]; then
    echo "## Mixed precision (\`train.precision\`), Fashion-MNIST CNN, 2 ranks, CPU"
    echo
    echo "\`mpiexec -n 2 build/dptrain train --config configs/fashion_mnist_cnn.ini --train.steps=$precision_steps"
    echo "--log.every_steps=20 --train.precision=fp32|bf16\`: the loss logged every 20 steps (mean over the interval)."
    echo
    precision_section
    echo
  fi
  if [[ $sections == *bert* ]]; then
    echo "## bert classifier (fortunes): pruning and int8 export, 2 ranks"
    echo
    echo "\`mpiexec -n 2 build/dptrain train --config configs/text_finetune_cls.ini --train.init_from=$bert_pretrained$( ((bert_steps > 0)) && echo " --train.steps=$bert_steps")\`"
    echo "(dense), and the same with \`--prune.sparsity=0.5"
    echo "--prune.start_step=$bert_prune_start\` (single weights, cubic schedule to 3/4 of the run) and with"
    echo "\`--prune.structure=both\` added (whole heads and FFN neurons). Data $bert_data; accuracy on its test split."
    echo
    bert_section
    echo
  fi
} | tee "$out.new"
mv "$out.new" "$out"
