#!/usr/bin/env bash
# Installs what is missing, builds dptrain with its tests (build-test/), runs the whole CTest
# suite with output on failure, then the sanitizer job (build-asan/, build-tsan/) and 50,000
# fuzzing executions per target with a fixed seed (build-fuzz/; reproducible). Extra arguments go to ctest (e.g. -L mpi, -R config) and
# run only that CTest subset.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
"$DPT_ROOT/launch/install-deps.sh"
build="$DPT_ROOT/build-test"
dpt_build "$build" Release -DDPT_BUILD_TESTS=ON -DDPT_BUILD_BENCHMARKS=ON
cd "$build"
ctest --output-on-failure --timeout 900 "$@"
# The whole CI run (no ctest arguments) also runs the sanitizer job and a short fuzzing run
# (docs/reliability.md); each can be run alone: launch/sanitizers.sh, launch/fuzz.sh.
if [[ $# -eq 0 ]]; then
  "$DPT_ROOT/launch/sanitizers.sh"
  "$DPT_ROOT/launch/fuzz.sh" --seconds 600 --runs 50000 --seed 1  # reproducible: see its header
fi
