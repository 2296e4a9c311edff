#!/usr/bin/env bash
# Rehearses run_gpu_checks.sh on a Debian dev machine without a GPU (DPT_GPU_DRY_CPU=1), in a
# private mount namespace where the system's Open MPI, parallel HDF5, Boost, PMIx, hwloc, libevent
# and GoogleTest are hidden (empty folders and /dev/null bound over them), so that only the
# prefix from fetch_debs.sh can satisfy the configure, the build and the runs; every fallback
# library is exposed, as on a host that has none of them. It checks the plumbing -- prefix,
# CMake hints, relocated Open MPI, parsing, the table -- not the GPU. Needs root (unshare -m).
# The system's LibTorch stays visible (it is what the dry run builds against), and so does its
# serial HDF5, which is a different library from the parallel one hidden here.
# Usage: tests/gpu/rehearse_on_debian.sh [LOG_DIR]   (default /tmp/dpt-gpu-rehearsal)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log=${1:-/tmp/dpt-gpu-rehearsal}

if [[ ${1:-} != __inside ]]; then
  "$here/fetch_debs.sh"
  exec unshare -m "$0" __inside "$log"
fi
log=$2
empty=$(mktemp -d)
a=/usr/lib/x86_64-linux-gnu
for d in $a/openmpi $a/hdf5 /usr/include/hdf5 /usr/include/boost $a/pmix2 /usr/share/openmpi /usr/share/pmix \
  /etc/openmpi /usr/include/gtest /usr/include/gmock $a/cmake/GTest /usr/src/googletest \
  /usr/include/x86_64-linux-gnu/openmpi $a/cmake/Boost-* $a/cmake/boost_* /usr/share/hwloc $a/hwloc; do
  [[ -d $d ]] && mount --bind "$empty" "$d"
done
for f in $a/libmpi*.so* $a/libopen-pal*.so* $a/libopen-rte*.so* $a/libhdf5_openmpi*.so* $a/libboost_program_options* \
  $a/libpmix*.so* $a/libhwloc*.so* $a/libevent*.so* $a/libgtest* $a/libgmock* $a/libfabric* $a/libucp* $a/libucs* \
  $a/libuct* $a/libmunge*.so* /usr/bin/mpi* /usr/bin/orte* /usr/bin/h5*cc* /usr/bin/h5c++* /usr/bin/ompi* /usr/bin/opal*; do
  [[ -e $f ]] && [[ -f $(readlink -f "$f") ]] && mount --bind /dev/null "$(readlink -f "$f")"
done
# The Python that holds Debian's torch (python3-torch), for the env and eager steps.
export PATH=/usr/bin:$PATH
export DPT_GPU_DRY_CPU=1 DPT_PREFIX_EXPOSE_ALL=1 DPT_GPU_LIMIT_SCALE=${DPT_GPU_LIMIT_SCALE:-5}
export DPT_GPU_DEADLINE_S=${DPT_GPU_DEADLINE_S:-4000} DPT_GPU_WORK=${DPT_GPU_WORK:-/tmp/dpt-gpu-rehearsal-work}
export DPT_GPU_BUILD_DIR=${DPT_GPU_BUILD_DIR:-$(cd "$here/../.." && pwd)/build-gpu-rehearsal}
exec bash "$here/run_gpu_checks.sh" "$log"
