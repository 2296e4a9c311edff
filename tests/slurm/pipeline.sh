#!/usr/bin/env bash
# cluster/slurm/pipeline.sh on the local Slurm cluster: its stages run in order, each after the
# previous one succeeded, and a failing stage cancels the stages after it.
# shellcheck source=tests/slurm/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ $("$DPTRAIN" train --help) == *--resume* ]] || skip "dptrain train has no --resume yet (train.sbatch passes --resume auto)"
stages=prepare,train
help=$("$DPTRAIN" --help)
for stage in eval export; do  # the later stages, as far as this dptrain has them
  [[ $help == *$'\n  '"$stage "* ]] && stages+=,$stage || echo "note: no 'dptrain $stage' yet; not tested"
done
slurm_setup
[[ -e $IDX/t10k-images-idx3-ubyte.gz ]] || skip "Fashion-MNIST not installed (dataset-fashion-mnist)"
cd "$work" || exit 1

pipeline() {  # pipeline <name> <idx dir>: submits, prints "stage id" lines
  "$DPT_SOURCE_DIR/cluster/slurm/pipeline.sh" --config "$DPT_SOURCE_DIR/configs/fashion_mnist_mlp.ini" \
    --name "$1" --idx "$2" --runs "$work/runs" --data "$work/data/$1" --stages "$stages" \
    --train-sbatch "--gpus-per-node=0 --ntasks-per-node=2 --cpus-per-task=1 --time=10" \
    -- --train.steps=20 --log.every_steps=10 --eval.every_steps=0 --log.progress=off
}
# Seconds since the epoch of a job's StartTime/EndTime field.
job_time() { date -d "$(job_field "$1" "$2")" +%s; }

# 1. Everything succeeds, in order.
pipeline ok "$IDX" | tee "$work/ok.ids"
mapfile -t ids < <(awk '{print $2}' "$work/ok.ids")
mapfile -t names < <(awk '{print $1}' "$work/ok.ids")
[[ ${names[*]} == "${stages//,/ }" ]] || fail "pipeline printed stages '${names[*]}', expected '$stages'"
last=${ids[-1]}
state=$(wait_job "$last" 240)
for i in "${!ids[@]}"; do
  echo "--- ${names[$i]} (job ${ids[$i]}): $(job_field "${ids[$i]}" JobState) ---"
  tail -n 5 "$work/runs/ok/slurm/${names[$i]}-${ids[$i]}.out" 2>/dev/null || true
done
[[ $state == COMPLETED ]] || fail "last stage ended $state"
for i in "${!ids[@]}"; do
  [[ $(job_field "${ids[$i]}" JobState) == COMPLETED ]] || fail "stage ${names[$i]} did not complete"
  if ((i > 0)); then
    (($(job_time "${ids[$i]}" StartTime) >= $(job_time "${ids[$((i - 1))]}" EndTime))) ||
      fail "stage ${names[$i]} started before ${names[$((i - 1))]} ended"
  fi
done
[[ -n $(ls -A "$work/data/ok/train" 2>/dev/null) ]] || fail "prepare wrote no train split"
grep -q '"step": *20\|"step":20' "$work/runs/ok/metrics.jsonl" || fail "training did not reach step 20"
if [[ $stages == *eval* ]]; then
  grep -q "accuracy" "$work/runs/ok/slurm/eval-${ids[2]}.out" || fail "eval printed no accuracy"
fi
if [[ $stages == *export* ]]; then
  [[ -s $work/runs/ok/model.pt ]] || fail "export wrote no model.pt"
fi

# 2. prepare fails (no IDX files there): the later stages are cancelled, never run.
mkdir -p "$work/empty"
pipeline bad "$work/empty" | tee "$work/bad.ids"
mapfile -t ids < <(awk '{print $2}' "$work/bad.ids")
[[ $(wait_job "${ids[0]}" 60) == FAILED ]] || fail "prepare from an empty directory did not fail"
for id in "${ids[@]:1}"; do
  state=$(wait_job "$id" 60)
  [[ $state == CANCELLED ]] || fail "job $id after the failed prepare ended '$state', expected CANCELLED"
  [[ ! -e $work/runs/bad/slurm/train-$id.out && ! -e $work/runs/bad/metrics.jsonl ]] || fail "job $id ran"
done
echo "pipeline: ok ($stages in order; a failed prepare cancelled the rest)"
