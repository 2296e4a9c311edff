#!/usr/bin/env bash
# Prepares, on a Debian 12 machine with apt (this project's dev machines), everything that
# tests/gpu/run_gpu_checks.sh needs on a GPU machine that has a CUDA PyTorch but no network:
#
#   .gpu-debs/cache/*.deb          the Debian packages, as downloaded (stays here)
#   .gpu-debs/carry/prefix.tar.xz  those packages unpacked (dpkg -x) and pruned: OpenMPI 4.1,
#                                  parallel HDF5 1.10, Boost.Program_options (+ the Boost headers
#                                  it includes), GoogleTest, and their shared-library deps
#   .gpu-debs/carry/fashion-mnist/ the four IDX files of Fashion-MNIST, xz-compressed
#   .gpu-debs/carry/MANIFEST.txt   package versions and checksums
#
# Only carry/ travels (the device tool's `carry` list names .gpu-debs/carry; tests/gpu/README.md).
# Idempotent: downloads what is missing, rebuilds the archive only when its inputs changed.
# Usage: tests/gpu/fetch_debs.sh [--force]
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
root=$repo/.gpu-debs
cache=$root/cache
carry=$root/carry
force=0
[[ ${1:-} == --force ]] && force=1

# Note [Core and fallback packages]
# Core packages are the point: the GPU machine lacks them, and the build and the run use ours.
# Fallback packages are ordinary system libraries that the core ones need (libcurl for HDF5's
# S3 driver, Kerberos and TLS behind it, ...). A GPU machine usually has them, often newer;
# prefix_env.sh exposes a fallback library only when the host has no library of that soname,
# so a newer host copy always wins. glibc, libstdc++, libgcc and zlib are never brought.
core_pkgs=(
  # Open MPI 4.1.4 and what libmpi and its components link
  libopenmpi3 libopenmpi-dev openmpi-bin openmpi-common
  libevent-core-2.1-7 libevent-pthreads-2.1-7 libhwloc15 libpmix2 libmunge2
  libfabric1 libucx0 libpsm2-2 libpsm-infinipath1 libibverbs1 librdmacm1 libnl-3-200 libnl-route-3-200
  # parallel HDF5 1.10.8
  libhdf5-openmpi-103-1 libhdf5-openmpi-dev libaec0 libsz2
  # Boost.Program_options 1.74 (headers of the rest of Boost: see boost_headers below)
  libboost-program-options1.74.0 libboost-program-options1.74-dev
  # GoogleTest (static libraries + CMake config)
  libgtest-dev libgmock-dev
)
fallback_pkgs=(
  libcurl4 libnghttp2-14 librtmp1 libssh2-1 libpsl5 libbrotli1 libzstd1
  libldap-2.5-0 libsasl2-2 libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0 libkeyutils1 libcom-err2
  libssl3 libgnutls30 libhogweed6 libnettle8 libgmp10 libp11-kit0 libffi8 libtasn1-6 libidn2-0 libunistring2
  libnuma1 libudev1 libatomic1
)
boost_dev_pkg=libboost1.74-dev  # 9 MB of headers: only what program_options includes is kept

data_src=/usr/share/datasets/fashion-mnist
data_files=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

log() { printf '[fetch_debs] %s\n' "$*" >&2; }

download() {
  mkdir -p "$cache"
  local missing=()
  for pkg in "$@"; do
    compgen -G "$cache/${pkg}_*.deb" >/dev/null || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  log "downloading ${missing[*]}"
  if ! (cd "$cache" && apt-get -o APT::Sandbox::User=root download "${missing[@]}" >/dev/null); then
    log "apt-get download failed; refreshing the package lists once"
    apt-get update >/dev/null
    (cd "$cache" && apt-get -o APT::Sandbox::User=root download "${missing[@]}" >/dev/null)
  fi
}

deb_of() { ls "$cache/${1}"_*.deb | sort | tail -1; }

# The Boost headers <boost/program_options.hpp> pulls in, for C++17 and C++20 and with the
# compiler's own version; boost/config and boost/predef whole, since which of their files are
# read depends on the compiler (the GPU machine's may be newer than this one's).
boost_headers() {
  local include=$1 tu
  tu=$(mktemp --suffix=.cc)
  printf '#include <boost/program_options.hpp>\n' >"$tu"
  {
    for std in c++17 c++20; do
      g++ -std=$std -M -nostdinc++ -isystem "$(dirname "$(g++ -print-file-name=include/c++)")/c++/$(g++ -dumpversion)" \
        -I"$include" "$tu" 2>/dev/null || g++ -std=$std -M -I"$include" "$tu"
    done
  } | tr ' \\' '\n\n' | grep "^$include/boost/" | sed "s#^$include/##" | sort -u
  (cd "$include" && find boost/config boost/predef -type f)
  rm -f "$tu"
}

stage_prefix() {
  local stage=$1
  rm -rf "$stage" && mkdir -p "$stage/core" "$stage/fallback"
  for pkg in "${core_pkgs[@]}"; do dpkg -x "$(deb_of "$pkg")" "$stage/core"; done
  for pkg in "${fallback_pkgs[@]}"; do dpkg -x "$(deb_of "$pkg")" "$stage/fallback"; done
  local boost=$stage/boost-dev
  dpkg -x "$(deb_of "$boost_dev_pkg")" "$boost"
  (cd "$boost/usr/include" && boost_headers "$PWD" | sort -u | tar -cf - -T -) | tar -xf - -C "$stage/core/usr/include"
  # BoostConfig.cmake and the header-only target that boost_program_options' config needs.
  cp -a "$boost"/usr/lib/x86_64-linux-gnu/cmake/* "$stage/core/usr/lib/x86_64-linux-gnu/cmake/"
  rm -rf "$boost"
  # Prune what neither the build nor the run reads: docs, static libraries (except GoogleTest's),
  # Fortran and Java bindings, OpenSHMEM.
  local d
  for d in "$stage/core" "$stage/fallback"; do
    rm -rf "$d/usr/share/doc" "$d/usr/share/man" "$d/usr/share/lintian" "$d/usr/share/bug" \
      "$d/usr/lib/x86_64-linux-gnu/fortran" "$d/usr/src"
    find "$d" -name '*.a' ! -name 'libgtest*' ! -name 'libgmock*' -delete
    # (OpenSHMEM only: opal's own mca_shmem_* components are what MPI's shared memory needs.)
    find "$d" \( -name '*fortran*' -o -name '*.mod' -o -name '*java*' -o -name '*.jar' -o -name '*mpifh*' \
      -o -name '*usempi*' -o -name '*oshmem*' -o -name 'mca_sshmem_*' -o -name 'shmem*' \) -prune -exec rm -rf {} +
  done
}

write_manifest() {
  {
    echo "# made by tests/gpu/fetch_debs.sh on $(date -u +%Y-%m-%dT%H:%MZ) ($(. /etc/os-release; echo "$PRETTY_NAME"))"
    echo "# core packages"
    for pkg in "${core_pkgs[@]}"; do basename "$(deb_of "$pkg")"; done
    echo "# fallback packages (exposed only where the host lacks the soname)"
    for pkg in "${fallback_pkgs[@]}"; do basename "$(deb_of "$pkg")"; done
    echo "# headers taken from"
    basename "$(deb_of "$boost_dev_pkg")"
    echo "# sha256"
    (cd "$carry" && find . -type f ! -name MANIFEST.txt | sort | xargs sha256sum)
  } >"$carry/MANIFEST.txt"
}

main() {
  download "${core_pkgs[@]}" "${fallback_pkgs[@]}" "$boost_dev_pkg"
  mkdir -p "$carry/fashion-mnist"

  # The archive is rebuilt when the package set or this script changed.
  local stamp
  stamp=$( (printf '%s\n' "${core_pkgs[@]}" "${fallback_pkgs[@]}" "$boost_dev_pkg";
            for p in "${core_pkgs[@]}" "${fallback_pkgs[@]}" "$boost_dev_pkg"; do basename "$(deb_of "$p")"; done;
            cat "${BASH_SOURCE[0]}") | sha256sum | cut -c1-16)
  if ((force)) || [[ ! -f $carry/prefix.tar.xz || $(cat "$root/prefix.stamp" 2>/dev/null) != "$stamp" ]]; then
    log "unpacking and pruning into prefix.tar.xz"
    stage_prefix "$root/stage"
    tar -C "$root/stage" -cf - core fallback | xz -9 -T0 >"$carry/prefix.tar.xz.tmp"
    mv "$carry/prefix.tar.xz.tmp" "$carry/prefix.tar.xz"
    echo "$stamp" >"$root/prefix.stamp"
    rm -rf "$root/stage"
  fi

  [[ -d $data_src ]] || { log "no $data_src: apt-get install dataset-fashion-mnist"; exit 1; }
  for f in "${data_files[@]}"; do
    if ((force)) || [[ ! -f $carry/fashion-mnist/$f.xz ]]; then
      log "compressing $f"
      gzip -dc "$data_src/$f.gz" | xz -9 -T0 >"$carry/fashion-mnist/$f.xz.tmp"
      mv "$carry/fashion-mnist/$f.xz.tmp" "$carry/fashion-mnist/$f.xz"
    fi
  done

  write_manifest
  local carry_mib tree_mib
  carry_mib=$(du -sbm "$carry" | cut -f1)
  tree_mib=$(cd "$repo" && git ls-files -co --exclude-standard -z | du -cb --files0-from=- | tail -1 | awk '{printf "%.1f", $1/1048576}')
  log "carry: $carry_mib MiB in $carry; working tree that travels besides it: $tree_mib MiB (limit 64 MiB together)"
}

main "$@"
