#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang into build-fuzz/ and fuzzes each one for
# a while, starting from its committed seed corpus (tests/fuzz/corpus/<target>/) plus what
# earlier runs on this machine found (build-fuzz/corpus/<target>/). Committed crash regressions
# (tests/fuzz/regressions/<target>/) are replayed first.
#
#   launch/fuzz.sh [--seconds N] [--runs N] [--seed S] [target...]
#                                    # targets: config idx manifest text (default: all)
# --seconds bounds each target's time (default 60); --runs bounds its executions as well;
# --seed fixes libFuzzer's random seed (default: a new one each run). CI (launch/test.sh) fuzzes
# with --runs and --seed: a bounded run that starts the same way every time, but not an exact
# replay (comparison tracing also sees heap addresses, so later mutations differ between runs;
# CI once met a hang that the same command here did not). A longer run with fresh seeds is how
# new bugs are found: run one before changing code that the targets read.
#
# A crash, sanitizer report, timeout (> 10 s on one input) or out-of-memory (> 2 GiB) fails the
# script; libFuzzer saves the input as build-fuzz/crashes/<target>/<kind>-<sha1>. To turn it into
# a regression: fix the bug, copy the file to tests/fuzz/regressions/<target>/ with a name that
# says what it was, and commit both (fuzz_replay then runs it in every build).
# Prints one markdown row per target: | target | seconds | executions | exec/s | crashes |.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
seconds=60 runs=-1 seed=0
targets=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[[ ${#targets[@]} -eq 0 ]] && targets=(config idx manifest text)
command -v clang++ >/dev/null || { echo "fuzz: clang++ missing (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }

build="$DPT_ROOT/build-fuzz"
mkdir -p "$build"
cmake -S "$DPT_ROOT/tests/fuzz" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ >"$build/configure.log" 2>&1 || { cat "$build/configure.log" >&2; exit 1; }
cmake --build "$build" >"$build/build.log" 2>&1 || { tail -40 "$build/build.log" >&2; exit 1; }

status=0
echo "| target | seconds | executions | exec/s | crashes |"
echo "|---|---|---|---|---|"
for t in "${targets[@]}"; do
  fuzzer="$build/fuzz_$t"
  [[ -x $fuzzer ]] || { echo "fuzz: no target '$t' (known: config idx manifest text)" >&2; exit 2; }
  mkdir -p "$build/corpus/$t" "$build/crashes/$t"
  log="$build/fuzz_$t.log"
  regressions=("$DPT_ROOT/tests/fuzz/regressions/$t"/*)
  if [[ -e ${regressions[0]} ]] && ! "$fuzzer" "${regressions[@]}" >"$log" 2>&1; then
    echo "fuzz: $t fails a committed regression input:" >&2; tail -30 "$log" >&2; status=1; continue
  fi
  rc=0
  touch "$build/crashes/$t/.started"
  "$fuzzer" -max_total_time="$seconds" -runs="$runs" -seed="$seed" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build/crashes/$t/" "$build/corpus/$t" "$DPT_ROOT/tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  executed=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  crashes=$(find "$build/crashes/$t" -type f -newer "$build/crashes/$t/.started" ! -name .started | wc -l)
  echo "| $t | $seconds | ${executed:-?} | ${rate:-?} | $crashes |"
  if [[ $rc -ne 0 ]]; then
    echo "fuzz: $t found a problem (exit $rc); input saved under $build/crashes/$t/:" >&2
    grep -E "ERROR|SUMMARY|runtime error|terminate|what\(\)" "$log" | head -10 >&2
    status=1
  fi
done
exit $status
