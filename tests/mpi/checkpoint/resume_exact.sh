#!/usr/bin/env bash
# Exact resume, 2 ranks: 40 steps in one go vs 20 steps, stop, --resume auto, 20 more. The
# metrics.jsonl losses (and evaluations) and every tensor of the final checkpoint -- model,
# optimizer state (AdamW moments and step counts), loader position, counters -- must be
# bitwise identical; each rank's generator state must be the one its checkpoint restored.
source "$DPT_SOURCE_DIR/tests/mpi/checkpoint/common.sh"
train 2 full
train 2 part --stop-after 20
grep -q "stopped after step 20" "$work/part.log" || { echo "FAIL: no stop at 20"; cat "$work/part.log"; exit 1; }
train 2 part --resume auto
grep -q "resumed from .*step_00000020.h5 at step 20" "$work/part.log" || { echo "FAIL: no resume"; cat "$work/part.log"; exit 1; }
"${compare[@]}" losses "$work/runs/full" "$work/runs/part"
"${compare[@]}" state "$(ckpt full 40)" "$(ckpt part 40)"
"${compare[@]}" same rng/rank_1 "$(ckpt part 20)" "$(ckpt part 40)"
# Resuming a finished run trains nothing and keeps the result.
train 2 part --resume auto
grep -q "nothing left to train" "$work/part.log" || { echo "FAIL: finished run retrained"; exit 1; }
"${compare[@]}" state "$(ckpt full 40)" "$(ckpt part 40)"
echo "resume exact: ok"
