#!/usr/bin/env bash
# Submits an experiment as a chain of Slurm jobs, each starting only when the one before it
# succeeded (--dependency=afterok), and prints their ids:
#   prepare  IDX files -> sharded HDF5 train/test splits      (1 task)
#   train    cluster/slurm/train.sbatch (resumable, requeued on preemption)
#   eval     the run's latest checkpoint on the test split    (1 task)
#   export   the latest checkpoint's model as model.pt         (1 task)
# A failing stage cancels every stage after it (--kill-on-invalid-dep=yes) instead of leaving
# them pending forever.
#
#   cluster/slurm/pipeline.sh --config FILE --name NAME [options] [-- dptrain train options]
#   cluster/slurm/pipeline.sh --config configs/fashion_mnist_mlp.ini --name fmnist
#
# options:
#   --config FILE        dptrain config of the training (required)
#   --name NAME          run name: outputs go to <runs>/<NAME>/ (required)
#   --runs DIR           parent of run directories (default: runs)
#   --idx DIR            directory with train-/t10k-images-idx3-ubyte(.gz) and the labels
#                        (default: $DPT_IDX_DIR, else /usr/share/datasets/fashion-mnist)
#   --data DIR           where prepare writes the train/ and test/ splits (default: data/NAME)
#   --prepare-cmd "CMD"  the prepare stage runs CMD (from the checkout) instead of prepare idx,
#                        e.g. "launch/prepare_fortunes.sh data" for the text workflow, whose
#                        splits are then named with --data (docs/text.md, "On Slurm")
#   --stages LIST        comma-separated subset of prepare,train,eval,export, in this order
#                        (default: all four)
#   --sbatch "ARGS"      extra sbatch options for every job (e.g. "-p short -A myproject")
#   --train-sbatch "ARGS"  extra sbatch options for the train job only (e.g. "--nodes=4",
#                        or "--gpus-per-node=0 --ntasks-per-node=2 --cpus-per-task=1" on CPUs)
#   --after JOBID        make the first stage wait for this job too
#   --dry-run            print the sbatch commands instead of submitting
# Job logs go to <runs>/<NAME>/slurm/<stage>-<jobid>.out. Run it from the dptrain checkout;
# the jobs use build/dptrain (or $DPTRAIN) and the site file of cluster/README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
config="" name="" runs=runs data="" stages=prepare,train,eval,export
idx=${DPT_IDX_DIR:-/usr/share/datasets/fashion-mnist}
sbatch_all="" sbatch_train="" after="" dry_run=0 prepare_cmd=""
die() { echo "pipeline.sh: $*" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --config) config=$2; shift 2 ;;
    --name) name=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --idx) idx=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --prepare-cmd) prepare_cmd=$2; shift 2 ;;
    --stages) stages=$2; shift 2 ;;
    --sbatch) sbatch_all=$2; shift 2 ;;
    --train-sbatch) sbatch_train=$2; shift 2 ;;
    --after) after=$2; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h|--help) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; break ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ -n $config && -n $name ]] || die "--config and --name are required (see --help)"
[[ -f $config ]] || die "no config file '$config'"
site_env=${DPT_SITE_ENV:-$PWD/cluster/slurm/site.env}
if [[ -f $site_env ]]; then
  # shellcheck source=/dev/null
  source "$site_env"   # SBATCH_PARTITION, SBATCH_ACCOUNT, ... apply to every sbatch below
fi
# Absolute paths: the jobs run elsewhere (slurmd's spool) and maybe on other nodes.
abs() { if [[ $1 = /* ]]; then echo "$1"; else echo "$PWD/$1"; fi; }
dptrain=$(abs "${DPTRAIN:-build/dptrain}")
config=$(abs "$config") runs=$(abs "$runs")
# sbatch exports the submitting environment (--export=ALL), so train.sbatch in the train job
# uses the same binary and site file.
export DPTRAIN=$dptrain DPT_SITE_ENV=$site_env
data=$(abs "${data:-data/$name}")
run_dir=$runs/$name
logs=$run_dir/slurm
IFS=, read -r -a wanted <<<"$stages"
for s in "${wanted[@]}"; do
  [[ $s =~ ^(prepare|train|eval|export)$ ]] || die "--stages: unknown stage '$s' (prepare, train, eval, export)"
done
want() { [[ ",$stages," == *",$1,"* ]]; }

# The file name of an IDX file, compressed or not.
idx_file() {
  local f
  for f in "$idx/$1" "$idx/$1.gz"; do [[ -e $f ]] && { echo "$f"; return; }; done
  echo "$idx/$1.gz"   # missing: the prepare job fails and says which file
}

# One-task stage jobs are small scripts written next to their logs, so what ran can be read
# afterwards. They are plain bash run by sbatch; `q` quotes a value for them.
q() { printf '%q' "$1"; }
stage_script() {  # stage_script <stage> <body>
  local file=$scripts/$1.sh
  printf '#!/usr/bin/env bash\n# %s stage of pipeline %s, written by cluster/slurm/pipeline.sh\nset -euo pipefail\n%s\n' \
    "$1" "$name" "$2" >"$file"
  echo "$file"
}
# shellcheck disable=SC2016  # $latest and $ckpt_dir expand in the job, not here
latest_ckpt='ckpt_dir='$(q "$run_dir/checkpoints")'
latest=$(cat "$ckpt_dir/latest" 2>/dev/null) || { echo "no checkpoint in $ckpt_dir (latest missing)" >&2; exit 1; }'

scripts=$logs
if ((dry_run)); then
  scripts=$(mktemp -d)
  trap 'rm -rf "$scripts"' EXIT
else
  mkdir -p "$logs"
fi
prev=$after
submit() {  # submit <stage> <sbatch args...> <script> [script args...]
  local stage=$1 id
  shift
  local cmd=(sbatch --parsable --job-name="$name-$stage" --output="$logs/$stage-%j.out" --open-mode=append
             --kill-on-invalid-dep=yes)
  [[ -z $prev ]] || cmd+=(--dependency="afterok:$prev")
  # shellcheck disable=SC2206  # word splitting of the user's option strings is intended
  cmd+=($sbatch_all "$@")
  if ((dry_run)); then
    printf '%q ' "${cmd[@]}"; echo
    id="<$name-$stage>"
  else
    id=$("${cmd[@]}")
    id=${id%%;*}   # --parsable prints "id" or "id;cluster"
  fi
  printf '%-8s %s\n' "$stage" "$id"
  prev=$id
}

if want prepare && [[ -n $prepare_cmd ]]; then
  submit prepare --ntasks=1 "$(stage_script prepare "cd $(q "$PWD")
DPTRAIN=$(q "$dptrain") $prepare_cmd")"
elif want prepare; then
  body="$(q "$dptrain") prepare idx --overwrite --images $(q "$(idx_file train-images-idx3-ubyte)") \\
  --labels $(q "$(idx_file train-labels-idx1-ubyte)") --out $(q "$data/train")
$(q "$dptrain") prepare idx --overwrite --images $(q "$(idx_file t10k-images-idx3-ubyte)") \\
  --labels $(q "$(idx_file t10k-labels-idx1-ubyte)") --out $(q "$data/test")"
  submit prepare --ntasks=1 "$(stage_script prepare "$body")"
fi
if want train; then
  # shellcheck disable=SC2086  # the user's option string is split into options on purpose
  submit train $sbatch_train "$here/train.sbatch" --config "$config" --run.dir="$runs" --run.name="$name" \
    --data.train="$data/train" --data.test="$data/test" "$@"
fi
if want eval; then
  body="$latest_ckpt
$(q "$dptrain") eval --checkpoint \"\$ckpt_dir/\$latest\" --data.test=$(q "$data/test")"
  submit eval --ntasks=1 "$(stage_script eval "$body")"
fi
if want export; then
  body="$latest_ckpt
$(q "$dptrain") export --checkpoint \"\$ckpt_dir/\$latest\" --out $(q "$run_dir/model.pt")"
  submit export --ntasks=1 "$(stage_script export "$body")"
fi
