#!/usr/bin/env bash
# The text workflow as one pipeline on this node (docs/text.md, "The text workflow"):
#   prepare    launch/prepare_fortunes.sh: vocabulary + data/fortunes/{mlm,cls}
#   pretrain   configs/text_pretrain_mlm.ini  -> runs/text_pretrain_mlm   (masked LM)
#   finetune   configs/text_finetune_cls.ini  -> runs/text_finetune_cls   (from the pre-trained encoder)
#   scratch    the same classifier from scratch -> runs/text_scratch_cls  (the comparison)
#   eval       dptrain eval of both classifiers' last checkpoints on the test split
# each training under launch/dptrain-mpirun -n RANKS. A stage is skipped when its output
# (summary.json / manifest.json) is newer than everything it depends on (its config, its input
# data, the stage before it, the dptrain binary); `--force` reruns all. Extra arguments after
# `--` go to every training stage (e.g. -- --train.steps=50 for a short trial). `--report FILE`
# also writes the comparison as a markdown report (benchmarks/results/text-pipeline.md is one).
#   launch/text_pipeline.sh [-n RANKS (2)] [--force] [--report FILE] [-- dptrain train options]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$DPT_ROOT"
ranks=2 force=0 report="" extra=()
command_line="launch/text_pipeline.sh $*"
while [[ $# -gt 0 ]]; do
  case $1 in
    -n) ranks=$2; shift 2 ;;
    --force) force=1; shift ;;
    --report) report=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "text_pipeline.sh: unknown argument $1 (see the header of this script)" >&2; exit 2 ;;
  esac
done
dptrain=${DPTRAIN:-$DPT_ROOT/build/dptrain}
[[ -x $dptrain ]] || { echo "text_pipeline.sh: $dptrain missing: build first (launch/quickstart.sh)" >&2; exit 1; }

# up_to_date OUTPUT INPUTS...: OUTPUT exists and is newer than every input.
up_to_date() {
  local out=$1
  shift
  [[ $force -eq 0 && -f $out ]] || return 1
  for input in "$@"; do [[ $out -nt $input ]] || return 1; done
}

echo "== prepare"
launch/prepare_fortunes.sh data "$dptrain"  # skips what exists
data=data/fortunes

train() {  # train STAGE RUN CONFIG DEPENDENCIES... -- OPTIONS...
  local stage=$1 run=$2 config=$3
  shift 3
  local deps=()
  while [[ $1 != -- ]]; do deps+=("$1"); shift; done
  shift
  if up_to_date "runs/$run/summary.json" "$config" "$dptrain" "${deps[@]}"; then
    echo "== $stage: runs/$run is up to date"
    return
  fi
  echo "== $stage -> runs/$run"
  rm -rf "runs/$run"
  launch/dptrain-mpirun -n "$ranks" --dptrain "$dptrain" train --config "$config" --run.name="$run" "$@" "${extra[@]}"
}
train pretrain text_pretrain_mlm configs/text_pretrain_mlm.ini "$data/mlm/train/manifest.json" --
train finetune text_finetune_cls configs/text_finetune_cls.ini "$data/cls/train/manifest.json" \
  runs/text_pretrain_mlm/summary.json -- --train.init_from=runs/text_pretrain_mlm
train scratch text_scratch_cls configs/text_finetune_cls.ini "$data/cls/train/manifest.json" -- --train.init_from=

echo "== eval"
for run in text_finetune_cls text_scratch_cls; do
  latest=runs/$run/checkpoints/$(cat "runs/$run/checkpoints/latest")
  launch/dptrain-mpirun -n "$ranks" --dptrain "$dptrain" eval --checkpoint "$latest" --data.test="$data/cls/test" |
    sed "s|^|$run: |"
done
python3 - "$data/cls/test" "$report" "$command_line" "$ranks" <<'PY'
import collections, datetime, json, os, re, subprocess, sys
split, report, command_line, ranks = sys.argv[1:5]
manifest = json.load(open(f"{split}/manifest.json"))
counts = collections.Counter()
for shard in manifest["shards"]:  # the labels, through h5dump (hdf5-tools): no h5py needed
    text = subprocess.run(["h5dump", "-y", "-w", "0", "-d", "/label", f"{split}/{shard['file']}"],
                          check=True, capture_output=True, text=True).stdout
    counts.update(int(v) for v in re.search(r"DATA \{(.*?)\}", text, re.S).group(1).replace(",", " ").split())
label, n = counts.most_common(1)[0]
names = manifest.get("class_names", [])
summary = {run: json.load(open(f"runs/{run}/summary.json"))
           for run in ("text_pretrain_mlm", "text_finetune_cls", "text_scratch_cls")}
majority = n / sum(counts.values())
print(f"{'majority class':24s} eval accuracy {majority:.4f} ({names[label] if names else label})")
for run, s in summary.items():
    extra = f" perplexity {s['eval_perplexity']:.2f}" if "eval_perplexity" in s else ""
    print(f"{run:24s} eval accuracy {s['eval_accuracy']:.4f} after {s['steps']} steps{extra}")
if report:
    fine, scratch, pre = (summary[r] for r in ("text_finetune_cls", "text_scratch_cls", "text_pretrain_mlm"))
    margin = 100 * (fine["eval_accuracy"] - scratch["eval_accuracy"])
    with open(report, "w") as f:
        f.write(f"# Text pipeline: fortunes classifier, pre-trained vs from scratch\n\n"
                f"Made by `{command_line}` on {datetime.date.today()}, {os.cpu_count()} cores, {ranks} ranks "
                f"(configs/text_pretrain_mlm.ini, configs/text_finetune_cls.ini; the scratch run is the "
                f"fine-tuning config with `--train.init_from=`, same steps and seed). Test split: "
                f"{sum(counts.values())} fortunes held out by hash, {len(counts)} classes.\n\n"
                f"| model | test accuracy | steps | wall s |\n|---|---:|---:|---:|\n"
                f"| majority class ({names[label] if names else label}) | {100 * majority:.2f}% | | |\n"
                f"| from scratch | {100 * scratch['eval_accuracy']:.2f}% | {scratch['steps']} | {scratch['wall_s']:.0f} |\n"
                f"| fine-tuned from the MLM encoder | {100 * fine['eval_accuracy']:.2f}% | {fine['steps']} "
                f"| {fine['wall_s']:.0f} |\n\n"
                f"Fine-tuned minus from scratch: {margin:+.2f} points; fine-tuned minus majority: "
                f"{100 * (fine['eval_accuracy'] - majority):+.2f} points.\n\n"
                f"Pre-training (masked LM, {pre['steps']} steps, {pre['wall_s']:.0f} s): masked-token accuracy "
                f"{100 * pre['eval_accuracy']:.2f}%, perplexity {pre['eval_perplexity']:.1f} on the held-out "
                f"fortunes.\n")
    print(f"report: {report}")
PY
