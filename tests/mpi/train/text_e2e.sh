#!/usr/bin/env bash
# The text workflow end to end with 2 ranks on synthetic text splits (make_text_splits):
# masked-LM pre-training of bert (loss falls, masked-token accuracy and perplexity reported),
# fine-tuning a classifier from its checkpoint (train.init_from reports what it loaded and what
# is new), and `dptrain eval` of both checkpoints agreeing with the runs' own final evaluation.
# Usage: text_e2e.sh <make_text_splits>
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$1" "$work/data"
sizes=(--model.hidden=32 --model.layers=2 --model.heads=2 --model.ffn=64 --model.vocab_size=200
       --model.dropout=0 --run.dir="$work/runs" --log.progress=lines --log.every_steps=10)
run() {  # run NAME ARGS...: mpiexec -n 2 dptrain train, output in $work/NAME.txt
  local name=$1
  shift
  mpiexec -n 2 "$DPTRAIN" train --run.name="$name" "${sizes[@]}" "$@" >"$work/$name.txt" 2>&1 ||
    { cat "$work/$name.txt"; exit 1; }
}
run pre --config "$DPT_SOURCE_DIR/configs/text_pretrain_mlm.ini" --data.train="$work/data/mlm/train" \
  --data.test="$work/data/mlm/test" --train.global_batch=32 --train.micro_batch=16 --train.steps=300 \
  --optim.lr=0.003 --optim.warmup_steps=15 --eval.every_steps=150
run cls --config "$DPT_SOURCE_DIR/configs/text_finetune_cls.ini" --data.train="$work/data/cls/train" \
  --data.test="$work/data/cls/test" --train.init_from="$work/runs/pre" --train.epochs=0 --train.steps=60 \
  --optim.lr=0.001 --optim.warmup_steps=5
grep -q "train.init_from $work/runs/pre: loaded 39 tensors" "$work/cls.txt" || { cat "$work/cls.txt"; exit 1; }
grep -q "new, initialized here: bert.pooler.dense.bias bert.pooler.dense.weight classifier.bias classifier.weight" \
  "$work/cls.txt" || { cat "$work/cls.txt"; exit 1; }
mpiexec -n 2 "$DPTRAIN" eval --checkpoint "$work/runs/pre/checkpoints/step_00000300.h5" >"$work/eval_pre.txt" 2>&1 ||
  { cat "$work/eval_pre.txt"; exit 1; }
"$DPTRAIN" eval --checkpoint "$work/runs/cls/checkpoints/step_00000060.h5" >"$work/eval_cls.txt" 2>&1 ||
  { cat "$work/eval_cls.txt"; exit 1; }
# dptrain explain on the classifier: a vocabulary of the synthetic ids ([PAD]=0, [UNK]=100,
# [CLS]=101, [SEP]=102, [MASK]=103, "t104".."t199"), a text of topic-1 tokens.
/usr/bin/python3 -c '
import sys
names = {0: "[PAD]", 100: "[UNK]", 101: "[CLS]", 102: "[SEP]", 103: "[MASK]"}
print("\n".join(names.get(i, f"[unused{i}]" if i < 104 else f"t{i}") for i in range(200)))
' >"$work/vocab.txt"
"$DPTRAIN" explain --checkpoint "$work/runs/cls/checkpoints/step_00000060.h5" --vocab "$work/vocab.txt" \
  --text "t112 t115 t119 t113" --steps 200 --json >"$work/explain.json" 2>"$work/explain.err" ||
  { cat "$work/explain.err"; exit 1; }
"$DPTRAIN" explain --checkpoint "$work/runs/cls/checkpoints/step_00000060.h5" --vocab "$work/vocab.txt" \
  --text "t112 t115 t119 t113" >"$work/explain.txt" 2>&1 || { cat "$work/explain.txt"; exit 1; }
grep -q "predicted: topic1" "$work/explain.txt" || { cat "$work/explain.txt"; exit 1; }

/usr/bin/python3 - "$work" <<'PY'
import json, re, sys
work = sys.argv[1]
def lines(run):
    return [json.loads(l) for l in open(f"{work}/runs/{run}/metrics.jsonl")]
pre = lines("pre")
losses = [l["loss"] for l in pre if "loss" in l]
evals = [l for l in pre if "eval_perplexity" in l]
assert losses[-1] < 0.6 * losses[0], losses
assert [e["step"] for e in evals] == [150, 300], evals
for e in evals:
    assert e["eval_tokens"] > 0 and e["eval_samples"] == 256 and e["eval_loss"] == e["eval_loss"], e
    assert abs(e["eval_perplexity"] - 2.718281828 ** e["eval_loss"]) < 1e-6 * e["eval_perplexity"], e
# Tokens from 3 topics of 8 (make_text_splits.cc): perplexity 24 knowing only the frequencies,
# 8 knowing the topic from the other tokens.
assert evals[-1]["eval_perplexity"] < 14 and evals[-1]["eval_accuracy"] > 0.08, evals
summary = json.load(open(f"{work}/runs/pre/summary.json"))
assert summary["eval_perplexity"] == evals[-1]["eval_perplexity"], summary

cls = json.load(open(f"{work}/runs/cls/summary.json"))
assert cls["eval_samples"] == 300 and "eval_perplexity" not in cls, cls
assert cls["eval_accuracy"] > 0.6 and cls["eval_loss"] < 1.0, cls  # 3 balanced classes: chance is 1/3

# dptrain eval (2 ranks, then 1) reproduces the runs' final evaluations.
text = open(f"{work}/eval_pre.txt").read()
m = re.search(r"masked LM: (\d+) masked tokens, masked-token accuracy (\S+), perplexity (\S+)", text)
assert m and int(m.group(1)) == evals[-1]["eval_tokens"], text
assert abs(float(m.group(3)) - summary["eval_perplexity"]) < 1e-4 * summary["eval_perplexity"], text
text = open(f"{work}/eval_cls.txt").read()
m = re.search(r"eval: loss (\S+) accuracy (\S+) samples (\d+)", text)
assert m and int(m.group(3)) == 300 and abs(float(m.group(2)) - cls["eval_accuracy"]) < 1e-9, text
[e] = json.load(open(f"{work}/explain.json"))
assert e["predicted"] == "topic1" and e["probability"] == max(e["probabilities"].values()) > 0.4, e
assert [t["token"] for t in e["tokens"]] == ["[CLS]", "t112", "t115", "t119", "t113", "[SEP]"], e
total = sum(t["attribution"] for t in e["tokens"])
assert abs(total - (e["logit"] - e["baseline_logit"])) < 0.02 * abs(e["logit"] - e["baseline_logit"]) + 1e-3, e
print("mlm losses", [round(l, 3) for l in losses], "perplexity", round(evals[-1]["eval_perplexity"], 2),
      "classifier accuracy", cls["eval_accuracy"])
PY
