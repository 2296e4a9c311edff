#!/usr/bin/env bash
# cluster/slurm/text_pipeline.sh on the local Slurm cluster, on a small fortunes corpus (three
# categories, a 600-token vocabulary, 32-token sequences) with a tiny bert: prepare, pretrain
# (mlm), its eval, finetune (init_from the pretrain run), its eval, and the from-scratch
# classifier with its eval, all behind a held job given as --after. Checks that every job waited
# for the one it needs (afterok) and started after it ended, that all completed, that finetune
# loaded the pre-trained encoder (and scratch did not), and that the evals printed the runs' own
# final figures.
# shellcheck source=tests/slurm/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fortunes=/usr/share/games/fortunes
[[ -d $fortunes ]] || skip "the Debian package fortunes is not installed (launch/install-deps.sh installs it)"
slurm_setup
cd "$work" || exit 1

# The prepare job's environment comes from this shell (sbatch --export=ALL).
export MAX_LEN=32 VOCAB_SIZE=600 CLASSES=art,computers,science
# A held job that the chain waits for (--after): no job can start before the dependencies are
# checked below.
gate=$(sbatch --parsable --hold --job-name=gate --output=/dev/null --wrap true)
"$DPT_SOURCE_DIR/cluster/slurm/text_pipeline.sh" --after "$gate" --data "$work/data/fortunes" --runs "$work/runs" \
  --prepare-cmd "$DPT_SOURCE_DIR/launch/prepare_fortunes.sh $work/data" \
  --train-sbatch "--gpus-per-node=0 --ntasks-per-node=2 --cpus-per-task=1 --time=10" \
  -- --model.hidden=32 --model.layers=1 --model.heads=2 --model.ffn=64 --train.global_batch=16 \
  --train.micro_batch=8 --train.steps=12 --optim.warmup_steps=2 --log.every_steps=6 --eval.every_steps=0 \
  --eval.micro_batch=128 --log.progress=off | tee "$work/ids"
declare -A id
while read -r stage job; do id[$stage]=$job; done <"$work/ids"
expected="prepare pretrain pretrain-eval finetune finetune-eval scratch scratch-eval"
[[ $(awk '{printf "%s%s", sep, $1; sep=" "}' "$work/ids") == "$expected" ]] ||
  fail "text_pipeline.sh printed stages '$(awk '{print $1}' "$work/ids" | xargs)', expected '$expected'"

# Each job and the one it waits for; every dependency is still pending, so visible.
id[gate]=$gate
declare -A after=([prepare]=gate [pretrain]=prepare [pretrain-eval]=pretrain [finetune]=pretrain [finetune-eval]=finetune
                  [scratch]=prepare [scratch-eval]=scratch)
for stage in "${!after[@]}"; do
  dependency=$(job_field "${id[$stage]}" Dependency)
  [[ $dependency == "afterok:${id[${after[$stage]}]}"* ]] ||
    fail "$stage (job ${id[$stage]}) has dependency '$dependency', expected afterok on ${after[$stage]} (job ${id[${after[$stage]}]})"
done
scontrol release "$gate"

log_of() {  # log_of <stage>: the stage's Slurm log
  local run=text_pretrain_mlm kind=${1#*-}
  case $1 in finetune*) run=text_finetune_cls ;; scratch*) run=text_scratch_cls ;; esac
  [[ $1 == *-eval ]] || kind=train
  [[ $1 == prepare ]] && kind=prepare
  echo "$work/runs/$run/slurm/$kind-${id[$1]}.out"
}
for stage in $expected; do
  state=$(wait_job "${id[$stage]}" 240)
  echo "--- $stage (job ${id[$stage]}): $state ---"
  tail -n 4 "$(log_of "$stage")" 2>/dev/null || true
  [[ $state == COMPLETED ]] || fail "$stage (job ${id[$stage]}) ended $state; its log: $(log_of "$stage")"
done
job_time() { date -d "$(job_field "$1" "$2")" +%s; }  # seconds since the epoch of StartTime/EndTime
for stage in "${!after[@]}"; do
  (($(job_time "${id[$stage]}" StartTime) >= $(job_time "${id[${after[$stage]}]}" EndTime))) ||
    fail "$stage started before ${after[$stage]} ended"
done

runs=$work/runs
grep -q "train.init_from $runs/text_pretrain_mlm: loaded [1-9][0-9]* tensors (bert.embeddings: 5, bert.encoder: " \
  "$(log_of finetune)" || fail "finetune did not report loading the encoder from $runs/text_pretrain_mlm"
grep -q "new, initialized here: bert.pooler.dense.bias bert.pooler.dense.weight classifier.bias classifier.weight" \
  "$(log_of finetune)" || fail "finetune did not report its new heads"
! grep -q "train.init_from" "$(log_of scratch)" || fail "the from-scratch classifier loaded a checkpoint"
/usr/bin/python3 - "$runs" "$(log_of pretrain-eval)" "$(log_of finetune-eval)" "$(log_of scratch-eval)" <<'PY'
import json, re, sys
runs, pre_log, logs = sys.argv[1], sys.argv[2], dict(zip(["text_finetune_cls", "text_scratch_cls"], sys.argv[3:]))
# Each eval job evaluated its run's last checkpoint: the figures of the run's final evaluation.
pre = json.load(open(f"{runs}/text_pretrain_mlm/summary.json"))
m = re.search(r"masked LM: (\d+) masked tokens, masked-token accuracy (\S+), perplexity (\S+)", open(pre_log).read())
assert m and int(m.group(1)) == pre["eval_tokens"], (pre, open(pre_log).read())
assert abs(float(m.group(3)) - pre["eval_perplexity"]) < 1e-4 * pre["eval_perplexity"], pre
for run, log in logs.items():
    s = json.load(open(f"{runs}/{run}/summary.json"))
    assert s["steps"] == 12, s
    m = re.search(r"eval: loss (\S+) accuracy (\S+) samples (\d+)", open(log).read())
    assert m, open(log).read()
    assert int(m.group(3)) == s["eval_samples"] > 0 and abs(float(m.group(2)) - s["eval_accuracy"]) < 1e-6, (m.group(0), s)
    print(f"{run}: eval accuracy {float(m.group(2)):.4f} on {m.group(3)} samples")
print(f"text_pretrain_mlm: perplexity {pre['eval_perplexity']:.1f}")
PY
echo "text_pipeline: ok ($expected, each after the job it needs)"
