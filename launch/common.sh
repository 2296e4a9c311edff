# Shared by the launch scripts: paths and the configure + build step.
# shellcheck shell=bash
DPT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# dpt_build <build-dir> <build-type> [extra cmake args...]: configure (once) and build with Ninja.
dpt_build() {
  local dir=$1 type=$2
  shift 2
  mkdir -p "$dir"
  cmake -S "$DPT_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "$@" >"$dir/configure.log" 2>&1 || {
    cat "$dir/configure.log" >&2
    echo "configure failed; full log: $dir/configure.log" >&2
    return 1
  }
  grep -A12 "dptrain .* configuration" "$dir/configure.log" | sed 's/^-- //' | grep -v '^$'
  cmake --build "$dir"
}

# Lets Open MPI's mpirun run as root (containers, CI) without extra flags.
if [[ $(id -u) -eq 0 ]]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
