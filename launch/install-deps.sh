#!/usr/bin/env bash
# Installs every Debian package dptrain needs to build, test and run its quickstart.
# Idempotent: when everything is already installed it prints nothing and exits 0.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config
  # required stack (CPU build; CUDA + NCCL come from /usr/local/cuda when present)
  libtorch-dev libopenmpi-dev openmpi-bin libhdf5-openmpi-dev hdf5-tools
  libboost-program-options-dev zlib1g-dev
  # without a threaded BLAS LibTorch falls back to reference BLAS (~30x slower)
  libopenblas0-pthread
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev python3 python3-h5py python3-numpy python3-torch
  # the `slurm` tests and cluster/local/: a one-node Slurm cluster. Installing does not start
  # it (no init system in CI containers); the tests start and stop their own.
  slurmctld slurmd slurm-client munge
  # plots of the scaling benchmark (benchmarks/scaling.py)
  gnuplot-nox
  # data for the quickstart
  dataset-fashion-mnist
  # English text for the text models (docs/text.md): /usr/share/games/fortunes
  fortunes
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
# Debian starts a package's daemons as it installs them; munged, slurmctld and slurmd must not
# run system-wide (cluster/local/start.sh runs private ones). A policy-rc.d that answers 101
# ("not allowed") prevents that during this install; an existing one (containers have one) is
# left as it is.
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\n# temporary, from dptrain launch/install-deps.sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
  "${sudo_cmd[@]}" chmod 755 "$policy"
  trap '"${sudo_cmd[@]}" rm -f "$policy"' EXIT
fi
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
