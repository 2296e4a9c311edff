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
# `--` go to every training stage (e.g. -- --train.steps=50 for a short trial).
#   launch/text_pipeline.sh [-n RANKS (2)] [--force] [-- dptrain train options]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$DPT_ROOT"
ranks=2 force=0 extra=()
while [[ $# -gt 0 ]]; do
  case $1 in
    -n) ranks=$2; shift 2 ;;
    --force) force=1; shift ;;
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
python3 - "$data/cls/test" <<'PY'
import collections, json, re, subprocess, sys
split = sys.argv[1]
manifest = json.load(open(f"{split}/manifest.json"))
counts = collections.Counter()
for shard in manifest["shards"]:  # the labels, through h5dump (hdf5-tools): no h5py needed
    text = subprocess.run(["h5dump", "-y", "-w", "0", "-d", "/label", f"{split}/{shard['file']}"],
                          check=True, capture_output=True, text=True).stdout
    counts.update(int(v) for v in re.search(r"DATA \{(.*?)\}", text, re.S).group(1).replace(",", " ").split())
label, n = counts.most_common(1)[0]
names = manifest.get("class_names", [])
print(f"{'majority class':24s} eval accuracy {n / sum(counts.values()):.4f} ({names[label] if names else label})")
for run in ("text_pretrain_mlm", "text_finetune_cls", "text_scratch_cls"):
    s = json.load(open(f"runs/{run}/summary.json"))
    extra = f" perplexity {s['eval_perplexity']:.2f}" if "eval_perplexity" in s else ""
    print(f"{run:24s} eval accuracy {s['eval_accuracy']:.4f} after {s['steps']} steps{extra}")
PY
