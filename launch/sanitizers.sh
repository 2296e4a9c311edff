#!/usr/bin/env bash
# The sanitizer job (docs/reliability.md, "Sanitizers"): builds the unit tests, and the MPI
# communicator test whose worker thread does the all-reduces, with
#   asan  AddressSanitizer + UndefinedBehaviorSanitizer   -> build-asan/
#   tsan  ThreadSanitizer (loader test, communicator test) -> build-tsan/
# compiling only the targets it runs, and runs them. What is switched off or suppressed
# (tests/sanitizers/), and why, is listed in docs/reliability.md ("Sanitizers"). Extra arguments pick the jobs: launch/sanitizers.sh asan
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
jobs=("$@")
[[ ${#jobs[@]} -eq 0 ]] && jobs=(asan tsan)

# sanitized_build <dir> <flags>: configures <dir> with the sanitizer flags for the compiler and
# the linker (tests on, benchmarks off; LibTorch, MPI and HDF5 stay uninstrumented).
sanitized_build() {
  local dir=$1 flags=$2
  mkdir -p "$dir"
  cmake -S "$DPT_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDPT_BUILD_TESTS=ON \
    -DDPT_BUILD_BENCHMARKS=OFF -DDPT_BUILD_GPU_TESTS=OFF "-DCMAKE_CXX_FLAGS=$flags" "-DCMAKE_C_FLAGS=$flags" \
    "-DCMAKE_EXE_LINKER_FLAGS=$flags" "-DCMAKE_SHARED_LINKER_FLAGS=$flags" >"$dir/configure.log" 2>&1 ||
    { cat "$dir/configure.log" >&2; return 1; }
}

# run_tests <dir> <ctest regex> : builds the test_<name> targets of the CTest entries that match
# and runs them.
run_tests() {
  local dir=$1 regex=$2
  local names
  names=$(cd "$dir" && ctest -N -R "$regex" | sed -n 's/^ *Test *#[0-9]*: //p')
  [[ -n $names ]] || { echo "sanitizers: no test matches $regex" >&2; return 1; }
  local targets
  targets=$(sed -E 's/_np[0-9]+$//; s/^/test_/' <<<"$names" | sort -u)
  local start=$SECONDS
  # shellcheck disable=SC2086  # one target per word
  cmake --build "$dir" --target $targets >"$dir/build.log" 2>&1 || { tail -40 "$dir/build.log" >&2; return 1; }
  echo "sanitizers: built $(wc -w <<<"$targets") test programs in $((SECONDS - start)) s"
  start=$SECONDS
  (cd "$dir" && ctest --output-on-failure --timeout 900 -R "$regex")
  echo "sanitizers: ran them in $((SECONDS - start)) s"
}

for job in "${jobs[@]}"; do
  case $job in
    asan)
      sanitized_build "$DPT_ROOT/build-asan" \
        "-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
      # detect_leaks=0: Open MPI's plugins are unloaded at MPI_Finalize, so the allocations they
      # never free have stacks LeakSanitizer cannot attribute ("<unknown module>") or suppress.
      ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1" \
      UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
        run_tests "$DPT_ROOT/build-asan" "$(cd "$DPT_ROOT/build-asan" && ctest -N -L unit |
          sed -n 's/^ *Test *#[0-9]*: //p' | paste -sd'|' | sed 's/^/^(/; s/$/|mpi_collectives_np[12])$/')"
      ;;
    tsan)
      sanitized_build "$DPT_ROOT/build-tsan" "-fsanitize=thread -fno-omit-frame-pointer"
      TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$DPT_ROOT/tests/sanitizers/tsan.supp" \
        run_tests "$DPT_ROOT/build-tsan" "^(data_loader|mpi_collectives_np[12])$"
      ;;
    *) echo "sanitizers: unknown job '$job' (asan, tsan)" >&2; exit 2 ;;
  esac
done
