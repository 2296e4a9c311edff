# Helpers for the shell-level tests that drive the dptrain binary (source this file).
# shellcheck shell=bash

fail() { echo "FAIL: $*"; exit 1; }

# expect <exit code> <pattern> <command...>: runs the command, checks its exit code and that its
# output (stdout and stderr) matches the extended regex; leaves the output in $out.
expect() {
  local code=$1 pattern=$2
  shift 2
  out=$("$@" 2>&1)
  local rc=$?
  [[ $rc -eq $code ]] || fail "exit $rc (wanted $code) from: $* -> $out"
  grep -qE -- "$pattern" <<<"$out" || fail "no /$pattern/ in output of: $* -> $out"
}
