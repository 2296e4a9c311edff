#!/usr/bin/env bash
# Elastic resume: a checkpoint written by 2 ranks continues on 1 rank and on 4 ranks (global
# batch 128 = 4 micro-batches of 32 per step on 1 rank, 1 on 4 ranks). The loader position and
# counters continue exactly; parameters and SGD momentum after 20 more steps match the
# uninterrupted 2-rank run within 1e-5 (only the floating-point summation order differs).
source "$DPT_SOURCE_DIR/tests/mpi/checkpoint/common.sh"
sgd=(--optim.name=sgd --optim.lr=0.05 --optim.momentum=0.9 --optim.warmup_steps=5)
train 2 full "${sgd[@]}"
train 2 half "${sgd[@]}" --stop-after 20
for ranks in 1 4; do
  cp -r "$work/runs/half" "$work/runs/on$ranks"
  train $ranks on$ranks "${sgd[@]}" --resume auto
  grep -q "written by 2 rank(s)" "$work/on$ranks.log" || { echo "FAIL: on$ranks did not resume"; exit 1; }
  "${compare[@]}" state "$(ckpt full 40)" "$(ckpt on$ranks 40)" 1e-5
  "${compare[@]}" losses "$work/runs/full" "$work/runs/on$ranks" 1e-4
  for counter in data/epoch data/position data/seed trainer/step trainer/samples; do
    "${compare[@]}" same $counter "$(ckpt full 40)" "$(ckpt on$ranks 40)"
  done
done
echo "resume elastic: ok"
