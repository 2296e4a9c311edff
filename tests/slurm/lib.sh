# Shared by the `slurm` tests: a private one-node Slurm cluster (cluster/local/start.sh) in a
# temp directory with free ports, stopped on exit whatever happens; data preparation; job
# state polling. Source it, then call slurm_setup.
# shellcheck shell=bash
set -euo pipefail

: "${DPTRAIN:?set DPTRAIN to the dptrain binary (CTest does)}"
: "${DPT_SOURCE_DIR:?set DPT_SOURCE_DIR to the source tree (CTest does)}"
readonly SKIP=77   # CTest SKIP_RETURN_CODE of the slurm tests
readonly IDX=/usr/share/datasets/fashion-mnist

skip() { echo "SKIP: $*"; exit "$SKIP"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# The cluster's directory must be short (munge socket path); the work directory holds the rest.
work=$(mktemp -d "${TMPDIR:-/tmp}/dpt-slurm-test.XXXXXX")
slurm_dir=$work/s
chmod 755 "$work"   # munged wants every directory above its socket searchable by all

cleanup() {
  local rc=$?
  if [[ -f $slurm_dir/etc/slurm.conf ]]; then
    if ((rc != 0 && rc != SKIP)); then
      echo "--- last lines of the cluster's logs ($slurm_dir/log) ---"
      tail -n 15 "$slurm_dir"/log/slurmctld.log "$slurm_dir"/log/slurmd.log 2>/dev/null || true
    fi
    "$DPT_SOURCE_DIR/cluster/local/stop.sh" --dir "$slurm_dir" || true
  fi
  if [[ ${KEEP_WORK:-0} == 1 ]]; then echo "kept $work"; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT

# A port P with P and P+1 free (slurmctld, slurmd); random so that a cluster someone runs on
# the default ports, or a stale one, does not collide.
free_port_pair() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + (RANDOM % 20000) * 2))
    if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && ! (exec 3<>/dev/tcp/127.0.0.1/$((p + 1))) 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  fail "no free port pair found"
}

# Skips (not fails) when the machine cannot run a local cluster at all.
slurm_setup() {
  [[ $(id -u) -eq 0 ]] || skip "the local Slurm cluster runs as root (SlurmUser=root)"
  local tool
  for tool in slurmctld slurmd srun sbatch munged; do
    command -v "$tool" >/dev/null || skip "$tool not installed (launch/install-deps.sh installs slurmctld slurmd slurm-client munge)"
  done
  "$DPT_SOURCE_DIR/cluster/local/start.sh" --dir "$slurm_dir" --port "$(free_port_pair)" >/dev/null
  export SLURM_CONF=$slurm_dir/etc/slurm.conf
  # Jobs must not pick up settings from the caller's environment (e.g. a site file).
  unset DPT_SITE_ENV SBATCH_PARTITION SBATCH_ACCOUNT
}

# prepare_split <name> <images> <labels>: a dataset split under $work/data/<name>.
prepare_split() {
  "$DPTRAIN" prepare idx --images "$IDX/$2" --labels "$IDX/$3" --out "$work/data/$1" --shards 2 >/dev/null
}
# The 10000-sample test set serves as training data too: the tests need a run, not accuracy.
prepare_small_data() {
  [[ -e $IDX/t10k-images-idx3-ubyte.gz ]] || skip "Fashion-MNIST not installed (dataset-fashion-mnist)"
  prepare_split test t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz
}

# job_field <id> <Field>: one field of `scontrol show job` (empty once the job is forgotten).
job_field() {
  scontrol show job -o "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1
}

# wait_job <id> <timeout s>: waits until the job reached a final state; prints that state.
wait_job() {
  local id=$1 deadline=$((SECONDS + $2)) state
  while ((SECONDS < deadline)); do
    state=$(job_field "$id" JobState)
    case $state in
      COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED)
        echo "$state"; return 0 ;;
    esac
    sleep 0.5
  done
  echo "TIMEOUT_WAITING($state)"
}
