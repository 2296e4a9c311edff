#!/usr/bin/env bash
# Installs what is missing, builds dptrain with its tests (build-test/), runs the whole CTest
# suite with output on failure. Extra arguments go to ctest (e.g. -L mpi, -R config).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
"$DPT_ROOT/launch/install-deps.sh"
build="$DPT_ROOT/build-test"
dpt_build "$build" Release -DDPT_BUILD_TESTS=ON -DDPT_BUILD_BENCHMARKS=ON
cd "$build"
ctest --output-on-failure --timeout 900 "$@"
