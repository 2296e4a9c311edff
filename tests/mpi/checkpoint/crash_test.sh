#!/usr/bin/env bash
# Crash consistency. A rank dies (SIGKILL) at each stage of the checkpoint of step 20 (Note
# [Checkpoint fault injection]); afterwards `latest` must name a complete checkpoint that
# verifies, the checkpoint of step 10 must be intact, no step_20.h5 may exist before its
# rename, and --resume auto must finish the run exactly as if it had never crashed (losses and
# final tensors bitwise equal to an uninterrupted run). SGD with momentum, 2 ranks.
source "$DPT_SOURCE_DIR/tests/mpi/checkpoint/common.sh"
sgd=(--optim.name=sgd --optim.lr=0.05 --optim.momentum=0.9)
train 2 full "${sgd[@]}"

check_after_crash() {  # <run> <stage> <expected latest step>
  local dir=$work/runs/$1/checkpoints
  "${compare[@]}" latest "$dir" "$3"
  "$DPTRAIN" inspect "$dir/step_00000010.h5" >/dev/null || { echo "FAIL: $2: step 10 damaged"; exit 1; }
  "$DPTRAIN" inspect "$dir/$(cat "$dir/latest")" >/dev/null || { echo "FAIL: $2: latest damaged"; exit 1; }
  case $2 in
    create|tensors|close|fsync)
      [[ ! -e $dir/step_00000020.h5 ]] || { echo "FAIL: $2: step_00000020.h5 exists before its rename"; exit 1; } ;;
  esac
}

resume_and_compare() {  # <run> <stage>
  train 2 "$1" "${sgd[@]}" --resume auto
  grep -q "resumed from" "$work/$1.log" || { echo "FAIL: $2: no resume"; tail "$work/$1.log"; exit 1; }
  "${compare[@]}" losses "$work/runs/full" "$work/runs/$1"
  "${compare[@]}" state "$(ckpt full 40)" "$(ckpt "$1" 40)"
  echo "crash at $2: ok"
}

for stage in create tensors close fsync rename latest; do
  expected=10
  [[ $stage == latest ]] && expected=20
  DPT_CHECKPOINT_FAULT=$stage:kill:0:20 train_crashing 2 "crash_$stage" "${sgd[@]}"
  check_after_crash "crash_$stage" $stage $expected
  resume_and_compare "crash_$stage" $stage
done

# Rank 1 hangs half-way through the tensors; the test kills it from outside, as an OOM killer
# or a failed node would.
log=$work/crash_pause.log
DPT_CHECKPOINT_FAULT=tensors:pause:1:20 mpiexec -n 2 "$DPTRAIN" train "${common[@]}" --train.steps=40 --run.name=crash_pause \
  "${sgd[@]}" >"$log" 2>&1 &
launcher=$!
pid=""
for _ in $(seq 600); do
  pid=$(sed -n 's/^checkpoint fault: paused at tensors pid \([0-9]*\)$/\1/p' "$log")
  [[ -n $pid ]] && break
  sleep 0.1
done
[[ -n $pid ]] || { echo "FAIL: rank 1 never paused"; cat "$log"; kill $launcher; exit 1; }
kill -KILL "$pid"
if wait $launcher; then echo "FAIL: the job survived a killed rank"; exit 1; fi
check_after_crash crash_pause tensors 10
resume_and_compare crash_pause "tensors (paused rank killed)"
echo "crash consistency: ok"
