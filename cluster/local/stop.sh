#!/usr/bin/env bash
# Stops the one-node Slurm cluster that cluster/local/start.sh started in DIR: cancels its jobs,
# then ends slurmd, slurmctld and munged by the PIDs in DIR/run (never by process name, so
# another cluster or the machine's own Slurm is left alone).
#
#   cluster/local/stop.sh [--dir DIR] [--purge]
#
# --dir    state directory (default $DPT_SLURM_DIR, else /tmp/dptrain-slurm)
# --purge  also delete DIR (config, key, state, logs)
#
# Safe to run when nothing is running (exits 0).
set -euo pipefail

dir=${DPT_SLURM_DIR:-/tmp/dptrain-slurm}
purge=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --dir) dir=$2; shift 2 ;;
    --purge) purge=1; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "stop.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ -d $dir ]] || exit 0
dir=$(cd "$dir" && pwd)
export SLURM_CONF=$dir/etc/slurm.conf

pid_of() {  # pid_of <name>: the live PID recorded for daemon <name>, or nothing
  local file=$dir/run/$1.pid pid
  [[ -s $file ]] || return 0
  pid=$(<"$file")
  if [[ -r /proc/$pid/comm && $(</proc/"$pid"/comm) == "$1" ]]; then echo "$pid"; fi
}

stop_daemon() {  # stop_daemon <name>: SIGTERM, up to 10 s to exit, then SIGKILL
  local pid
  pid=$(pid_of "$1")
  [[ -n $pid ]] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do
    [[ -d /proc/$pid ]] || { rm -f "$dir/run/$1.pid"; return 0; }
    sleep 0.1
  done
  echo "stop.sh: $1 (pid $pid) ignored SIGTERM for 10 s; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$dir/run/$1.pid"
}

# Jobs first, while slurmctld and slurmd can still end them: their slurmstepd processes are
# not children of slurmd and would outlive it.
if [[ -n $(pid_of slurmctld) && -n $(pid_of slurmd) ]]; then
  mapfile -t jobs < <(squeue -h -o %i 2>/dev/null || true)
  if ((${#jobs[@]} > 0)); then
    scancel --quiet "${jobs[@]}" 2>/dev/null || true
    for _ in $(seq 150); do
      [[ -z $(squeue -h -o %i 2>/dev/null) ]] && break
      sleep 0.2
    done
  fi
fi
stop_daemon slurmd
stop_daemon slurmctld
stop_daemon munged
if ((purge)); then
  rm -rf "$dir"
fi
