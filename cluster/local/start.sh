#!/usr/bin/env bash
# Starts a one-node Slurm cluster on this machine: munged, slurmctld and slurmd, as root, with
# every file (config, munge key and socket, state, spool, logs, PID files) under one directory.
# It is for trying the sbatch templates and for the `slurm` tests; it leaves the machine's own
# Slurm and munge (if any) alone: its own key, socket, ports and config.
#
#   cluster/local/start.sh [--dir DIR] [--cpus N] [--port P]
#   source DIR/env.sh          # sets SLURM_CONF for srun/sbatch/squeue/scontrol
#   cluster/local/stop.sh [--dir DIR] [--purge]
#
# --dir   state directory (default $DPT_SLURM_DIR, else /tmp/dptrain-slurm). Keep it short: the
#         munge socket lives inside it and Unix socket paths are limited to 107 bytes.
# --cpus  CPUs the node declares (default: the real count, at least 4). Slurm keeps a step with
#         more tasks than declared CPUs pending forever; declaring more lets `srun -n 4` run on
#         a 2-core machine, oversubscribed like `mpirun --oversubscribe`.
# --port  slurmctld port; slurmd uses P+1 (default 6817, Slurm's own default).
#
# Idempotent: when the daemons of DIR are already running it only checks that the node is up.
# Needs root (SlurmUser=root) and the Debian packages slurmctld slurmd slurm-client munge.
set -euo pipefail

dir=${DPT_SLURM_DIR:-/tmp/dptrain-slurm}
cpus=""
port=6817
while [[ $# -gt 0 ]]; do
  case $1 in
    --dir) dir=$2; shift 2 ;;
    --cpus) cpus=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "start.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

die() { echo "start.sh: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "needs root: the local cluster runs slurmd and slurmctld as root (SlurmUser=root)"
for tool in munged mungekey slurmctld slurmd sinfo scontrol; do
  command -v "$tool" >/dev/null || die "'$tool' not found; install: apt-get install slurmctld slurmd slurm-client munge (launch/install-deps.sh does)"
done

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
conf=$dir/etc/slurm.conf
socket=$dir/run/munge/munge.socket.2
((${#socket} < 100)) || die "--dir '$dir' is too long for the munge socket path; pick a shorter one"
node=$(hostname -s)

# A daemon "of this cluster" is running when its PID file names a live process of that program;
# a stale file (after a reboot or kill -9) is ignored and overwritten.
alive() {  # alive <pidfile> <program>
  local pid
  [[ -s $1 ]] || return 1
  pid=$(<"$1")
  [[ -r /proc/$pid/comm && $(</proc/"$pid"/comm) == "$2" ]]
}

write_config() {
  # The node line comes from `slurmd -C` (real sockets, memory), with the CPU count raised to
  # --cpus; config_overrides makes slurmd accept a declared count above the detected one
  # instead of draining the node.
  local detected real_cpus mem
  detected=$(slurmd -C | head -1)
  real_cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$detected")
  mem=$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<<"$detected")
  [[ -n $cpus ]] || cpus=$((real_cpus > 4 ? real_cpus : 4))
  cat >"$conf" <<EOF
# Written by cluster/local/start.sh; regenerated at every fresh start.
ClusterName=dptrain-local
SlurmctldHost=$node
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
AuthType=auth/munge
# cred_expire also sets how long a requeued job waits before it may start again (default 120 s).
AuthInfo=socket=$socket,cred_expire=10
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
# srun --mpi=pmix makes TmpFS/spmix_appdir_<uid>_<job>.<step>: with the default /tmp, two local
# clusters (job ids both from 1) collide on it and the second one's step fails to launch.
TmpFS=$dir/tmp
# No cgroups in containers: track processes by parentage, bind nothing.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
# dptrain's ranks find each other through PMIx (Debian's Open MPI has no PMI-2 support).
MpiDefault=pmix
# No slurmdbd: job states come from scontrol/squeue and the completion file below.
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.txt
MailProg=/bin/true
# Requeue is how a preempted training comes back (cluster/slurm/train.sbatch).
JobRequeue=1
# Start jobs at once instead of on the scheduler's usual cadence (a requeued job whose delay
# ended would otherwise wait up to a minute for the next pass), and keep ended jobs visible to
# scontrol for 10 minutes.
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,sched_interval=2
MinJobAge=600
# After SIGTERM at a time limit or scancel, tasks get this long before SIGKILL.
KillWait=30
ReturnToService=2
NodeName=$node CPUs=$cpus Boards=1 SocketsPerBoard=1 CoresPerSocket=$cpus ThreadsPerCore=1 RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
}

start_munged() {
  alive "$dir/run/munged.pid" munged && return 0
  # Our own key, so this cluster never trusts (or is trusted by) another munge on the machine.
  [[ -s $dir/etc/munge.key ]] || mungekey -c -k "$dir/etc/munge.key"
  chmod 600 "$dir/etc/munge.key"
  # munged refuses a socket directory that others can write to.
  chmod 755 "$dir/run/munge"
  rm -f "$socket"
  munged --key-file="$dir/etc/munge.key" --socket="$socket" --pid-file="$dir/run/munged.pid" \
    --log-file="$dir/log/munged.log" --seed-file="$dir/run/munged.seed"
}

fresh=1
if alive "$dir/run/slurmctld.pid" slurmctld && alive "$dir/run/slurmd.pid" slurmd; then
  fresh=0
fi
mkdir -p "$dir"/{etc,run/munge,log,state,spool,tmp}
chmod 755 "$dir" "$dir/run"
start_munged
if ((fresh)); then
  # A half-running cluster (one daemon died) is restarted whole, from a fresh config.
  for d in slurmd slurmctld; do
    if alive "$dir/run/$d.pid" $d; then kill "$(<"$dir/run/$d.pid")"; fi
  done
  write_config
  # -i: ignore state from an earlier cluster in DIR that cannot be recovered (e.g. the node
  # name changed); jobs of that cluster are not resumed either way.
  SLURM_CONF=$conf slurmctld -f "$conf" -i
  SLURM_CONF=$conf slurmd -f "$conf" -N "$node"
fi

cat >"$dir/env.sh" <<EOF
# Source this to use the local cluster: srun, sbatch, squeue and scontrol read SLURM_CONF.
export SLURM_CONF=$conf
EOF

# The node registers with slurmctld within a second or two; wait until it can take jobs.
export SLURM_CONF=$conf
for _ in $(seq 100); do
  state=$(sinfo -h -N -n "$node" -o %T 2>/dev/null || true)
  case $state in
    # A trailing '*' (e.g. idle*) means slurmctld cannot reach slurmd yet.
    idle|mixed|allocated|completing)
      ((fresh)) && echo "local Slurm up: node $node ($(sinfo -h -N -n "$node" -o %c) CPUs), state in $dir"
      echo "use it with: source $dir/env.sh"
      exit 0 ;;
  esac
  sleep 0.2
done
echo "start.sh: node $node did not come up (state '${state:-none}'); logs:" >&2
tail -n 20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
exit 1
