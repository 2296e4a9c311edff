#!/usr/bin/env bash
# Installs what is missing, builds dptrain (Release, build/) and runs the main job with
# 2 ranks. Until the training subcommand lands, the main job is the communicator smoke test:
# the all-reduce benchmark of our MPI backend next to plain MPI_Allreduce.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
"$DPT_ROOT/launch/install-deps.sh"
dpt_build "$DPT_ROOT/build" Release
cd "$DPT_ROOT"
mpirun -np 2 --oversubscribe build/dptrain bench allreduce --comm.backend=mpi \
  --max-bytes $((64 << 20)) --seconds 0.5
