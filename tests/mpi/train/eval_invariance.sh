#!/usr/bin/env bash
# Evaluating during training must not change the training: bert with dropout on (the forward
# draws from each rank's generator) on synthetic text splits, 2 ranks, masked-LM pre-training and
# classification fine-tuning, each once without evaluations and once evaluating every 7 steps.
# The training losses and every tensor of the final checkpoint -- model, optimizer state, loader
# position, counters and each rank's generator state -- must be bitwise identical.
# Usage: eval_invariance.sh <make_text_splits>
source "$DPT_SOURCE_DIR/tests/mpi/train/text_splits.sh"
sizes=(--model.hidden=32 --model.layers=2 --model.heads=2 --model.ffn=64 --model.vocab_size=200
       --model.dropout=0.1 --run.dir="$work/runs" --log.progress=lines --log.every_steps=1
       --train.global_batch=32 --train.micro_batch=8 --train.steps=30 --eval.micro_batch=16)
run() {  # run NAME ARGS...: mpiexec -n 2 dptrain train, output in $work/NAME.txt
  local name=$1
  shift
  mpiexec -n 2 "$DPTRAIN" train --run.name="$name" "${sizes[@]}" "$@" >"$work/$name.txt" 2>&1 ||
    { cat "$work/$name.txt"; exit 1; }
}
train_losses() {  # step, loss and lr of each training line of a run (no timings, no evaluations)
  /usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "loss" in r: print(r["step"], repr(r["loss"]), repr(r["lr"]))' "$work/runs/$1/metrics.jsonl"
}
evaluations() { grep -c '"eval_loss"' "$work/runs/$1/metrics.jsonl" || true; }
check() {  # check A B: B evaluated every 7 steps (4 times more than A's final evaluation), same training
  local a=$1 b=$2 final
  [[ $(evaluations "$a") -eq 1 && $(evaluations "$b") -eq 5 ]] ||
    { echo "FAIL: $(evaluations "$a") and $(evaluations "$b") evaluations, expected 1 and 5"; exit 1; }
  [[ $(train_losses "$a" | wc -l) -eq 30 ]] || { echo "FAIL: not 30 loss lines"; exit 1; }
  diff <(train_losses "$a") <(train_losses "$b") || { echo "FAIL: evaluating changed the losses of $a"; exit 1; }
  final=checkpoints/step_00000030.h5
  "${compare[@]}" state "$work/runs/$a/$final" "$work/runs/$b/$final"
  for r in 0 1; do "${compare[@]}" same "rng/rank_$r" "$work/runs/$a/$final" "$work/runs/$b/$final"; done
  echo "$a: evaluating every 7 steps left the training bitwise unchanged"
}
mlm=(--config "$DPT_SOURCE_DIR/configs/text_pretrain_mlm.ini" --data.train="$work/data/mlm/train"
     --data.test="$work/data/mlm/test")
run mlm "${mlm[@]}" --eval.every_steps=0
run mlm_eval "${mlm[@]}" --eval.every_steps=7
check mlm mlm_eval
cls=(--config "$DPT_SOURCE_DIR/configs/text_finetune_cls.ini" --data.train="$work/data/cls/train"
     --data.test="$work/data/cls/test" --train.init_from="$work/runs/mlm" --train.epochs=0)
run cls "${cls[@]}" --eval.every_steps=0
run cls_eval "${cls[@]}" --eval.every_steps=7
check cls cls_eval
