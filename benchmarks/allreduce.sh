#!/usr/bin/env bash
# Runs `dptrain bench allreduce` with 2 and 4 ranks and writes benchmarks/results/allreduce.md.
# Usage: benchmarks/allreduce.sh [build-dir]   (default: build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build}/dptrain
out=$root/benchmarks/results/allreduce.md
[[ $(id -u) -eq 0 ]] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
{
  echo "# All-reduce: dptrain's MPI backend vs plain MPI_Allreduce"
  echo
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(mpirun --version | head -1)."
  echo "All methods run in the same run; each of ours is timed in pairs with MPI_Allreduce;"
  echo "time = median over iterations of the slowest rank; ratio = median of the per-iteration ratios"
  echo "(MPI_Allreduce time / ours, timed in pairs, alternating which goes first). busbw = algbw * 2(n-1)/n (nccl-tests)."
  echo "Target: busbw ratio (dptrain / MPI_Allreduce) >= 0.95 at sizes >= 1 MiB."
  for np in 2 4; do
    cmd="mpirun -np $np --oversubscribe $bin bench allreduce --comm.backend=mpi --seconds 2"
    echo
    echo "## $np ranks$([[ $np -gt $(nproc) ]] && echo " (oversubscribed: $np ranks on $(nproc) cores)")"
    echo
    echo "Command: \`${cmd/$root\//}\`"
    echo
    $cmd 2>/dev/null | tail -n +3
  done
} >"$out"
cat "$out"
