#!/usr/bin/env bash
# The text workflow (docs/text.md, "On Slurm") as one chain of Slurm jobs, the cluster version of
# launch/text_pipeline.sh. Three cluster/slurm/pipeline.sh calls, each job waiting for the one
# it needs (--dependency=afterok, a failure cancels what depends on it):
#   prepare         --prepare-cmd: vocabulary + <data>/mlm and <data>/cls          (1 task)
#   pretrain        configs/text_pretrain_mlm.ini on <data>/mlm -> <runs>/text_pretrain_mlm
#   pretrain-eval   its latest checkpoint on <data>/mlm/test                         (1 task)
#   finetune        configs/text_finetune_cls.ini on <data>/cls, after pretrain, with
#                   --train.init_from=<runs>/text_pretrain_mlm -> <runs>/text_finetune_cls
#   finetune-eval   its latest checkpoint on <data>/cls/test                         (1 task)
#   scratch         the same classifier from scratch (--train.init_from=), after prepare
#                   -> <runs>/text_scratch_cls; scratch-eval after it (--no-scratch: neither)
# It prints one "stage jobid" line per job. Train jobs are cluster/slurm/train.sbatch
# (resumable, requeued on preemption); logs: <runs>/<run>/slurm/<stage>-<jobid>.out.
#
#   cluster/slurm/text_pipeline.sh [options] [-- dptrain train options for every training]
#   cluster/slurm/text_pipeline.sh --train-sbatch "--gpus-per-node=1 --ntasks-per-node=1"
#
# options:
#   --data DIR            the text data: DIR/mlm/{train,test} and DIR/cls/{train,test}
#                         (default: data/fortunes)
#   --prepare-cmd "CMD"   what the prepare job runs, from the checkout; it must write the splits
#                         above (default: "launch/prepare_fortunes.sh PARENT" for a DIR named
#                         fortunes; its MAX_LEN, VOCAB_SIZE, CLASSES... variables pass through)
#   --no-prepare          no prepare job: the splits exist already
#   --pretrain-config F   (default: configs/text_pretrain_mlm.ini of this checkout)
#   --finetune-config F   (default: configs/text_finetune_cls.ini of this checkout), for finetune
#                         and scratch; the [model] sizes must be the pre-training's
#   --runs DIR            parent of the run directories (default: runs)
#   --no-scratch          leave out the from-scratch comparison
#   --sbatch "ARGS"       extra sbatch options for every job (e.g. "-p short -A myproject")
#   --train-sbatch "ARGS" extra sbatch options for the train jobs (e.g. "--nodes=2", or on CPUs
#                         "--gpus-per-node=0 --ntasks-per-node=2 --cpus-per-task=1")
#   --after JOBID         make the first job wait for this job too
#   --dry-run             print the sbatch commands instead of submitting
# Run it from the dptrain checkout; the jobs use build/dptrain (or $DPTRAIN) and the site file
# of cluster/README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)  # the checkout this script belongs to
data=data/fortunes prepare_cmd="" prepare=1 scratch=1 runs=runs after="" dry_run=()
pretrain_config=$root/configs/text_pretrain_mlm.ini finetune_config=$root/configs/text_finetune_cls.ini
common=()  # pipeline.sh options of every call
die() { echo "text_pipeline.sh: $*" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --data) data=$2; shift 2 ;;
    --prepare-cmd) prepare_cmd=$2; shift 2 ;;
    --no-prepare) prepare=0; shift ;;
    --pretrain-config) pretrain_config=$2; shift 2 ;;
    --finetune-config) finetune_config=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --no-scratch) scratch=0; shift ;;
    --sbatch|--train-sbatch) common+=("$1" "$2"); shift 2 ;;
    --after) after=$2; shift 2 ;;
    --dry-run) dry_run=(--dry-run); shift ;;
    -h|--help) sed -n '2,37p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; break ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
abs() { if [[ $1 = /* ]]; then echo "$1"; else echo "$PWD/$1"; fi; }
data=$(abs "$data") runs=$(abs "$runs")
if ((prepare)) && [[ -z $prepare_cmd ]]; then
  [[ $(basename "$data") == fortunes ]] ||
    die "--data $data: launch/prepare_fortunes.sh writes <dir>/fortunes; pass --prepare-cmd that writes $data/mlm and $data/cls"
  prepare_cmd="$(printf '%q %q' "$root/launch/prepare_fortunes.sh" "$(dirname "$data")")"
fi
common+=(--runs "$runs" "${dry_run[@]}")

# chain <label> <after> <pipeline.sh options...> [-- train options]: submits one pipeline.sh
# call; prints its jobs as "<label>-<stage> id" (the train job as "<label>") and records them in
# ids[...]. With --dry-run, pipeline.sh's sbatch commands pass through. When a submission fails,
# the jobs submitted before it are still printed (to scancel them) and the script stops.
declare -A ids
chain() {
  local label=$1 wait_for=$2 out stage id rc=0
  shift 2
  out=$("$here/pipeline.sh" ${wait_for:+--after "$wait_for"} "${common[@]}" "$@") || rc=$?
  while read -r stage id; do
    [[ -n $stage ]] || continue
    if [[ $stage == sbatch ]]; then echo "$stage $id"; continue; fi
    if [[ $stage == train ]]; then stage=$label; elif [[ $stage != prepare ]]; then stage=$label-$stage; fi
    printf '%-14s %s\n' "$stage" "$id"
    ids[$stage]=$id
  done <<<"$out"
  ((rc == 0)) || exit "$rc"
}

first=(--stages "train,eval")
((prepare)) && first=(--stages "prepare,train,eval" --prepare-cmd "$prepare_cmd")
chain pretrain "$after" --config "$pretrain_config" --name text_pretrain_mlm --data "$data/mlm" "${first[@]}" -- "$@"
start=${ids[prepare]:-$after}
chain finetune "${ids[pretrain]}" --config "$finetune_config" --name text_finetune_cls --data "$data/cls" \
  --stages train,eval -- --train.init_from="$runs/text_pretrain_mlm" "$@"
if ((scratch)); then
  chain scratch "$start" --config "$finetune_config" --name text_scratch_cls --data "$data/cls" \
    --stages train,eval -- --train.init_from= "$@"
fi
