#!/usr/bin/env bash
# ZeRO-1 checkpoints (ddp.shard_optimizer, docs/compression.md). Exact: a sharded AdamW run on 2
# ranks stopped at step 20 and resumed ends bitwise equal to the uninterrupted sharded run, and
# within 1e-5 of the unsharded run (the file holds whole optimizer tensors either way). Elastic:
# the sharded SGD checkpoint of 2 ranks continues sharded on 1 and 4 ranks and unsharded on 2;
# after 20 more steps parameters and momentum match the uninterrupted run within 1e-5.
source "$DPT_SOURCE_DIR/tests/mpi/checkpoint/common.sh"
zero=(--ddp.shard_optimizer=true)
train 2 zfull "${zero[@]}"
train 2 plain
train 2 zpart "${zero[@]}" --stop-after 20
train 2 zpart "${zero[@]}" --resume auto
grep -q "resumed from .*step_00000020.h5 at step 20" "$work/zpart.log" || { echo "FAIL: no resume"; exit 1; }
grep -q "sharded over 2 rank(s)" "$work/zfull.log" || { echo "FAIL: no memory report"; exit 1; }
"${compare[@]}" losses "$work/runs/zfull" "$work/runs/zpart"
"${compare[@]}" state "$(ckpt zfull 40)" "$(ckpt zpart 40)"
"${compare[@]}" state "$(ckpt plain 40)" "$(ckpt zfull 40)" 1e-5

sgd=(--optim.name=sgd --optim.lr=0.05 --optim.momentum=0.9 --optim.warmup_steps=5)
train 2 sfull "${sgd[@]}" "${zero[@]}"
train 2 shalf "${sgd[@]}" "${zero[@]}" --stop-after 20
for target in "1 on1 true" "4 on4 true" "2 plain2 false"; do
  read -r ranks name shard <<<"$target"
  cp -r "$work/runs/shalf" "$work/runs/$name"
  train "$ranks" "$name" "${sgd[@]}" --ddp.shard_optimizer="$shard" --resume auto
  grep -q "written by 2 rank(s)" "$work/$name.log" || { echo "FAIL: $name did not resume"; exit 1; }
  "${compare[@]}" state "$(ckpt sfull 40)" "$(ckpt "$name" 40)" 1e-5
  "${compare[@]}" losses "$work/runs/sfull" "$work/runs/$name" 1e-4
done
echo "resume sharded: ok"
