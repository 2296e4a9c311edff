# The bad-input catalogue's machinery (sourced by run.sh; the cases live in cases/*.sh).
#
#   bad <name> <exit code> <pattern> [--allow <glob>]... -- <command...>
#
# runs one malformed-input case from an empty working directory inside $work and checks the
# catalogue's contract (docs/reliability.md, "Bad inputs"):
#   - the exit code is <exit code> (1 runtime error, 2 bad command line or configuration),
#     so in particular not a signal, an abort or a core dump (>= 128), nor a hang (the case
#     is killed after 120 s: exit code 124);
#   - the output holds exactly one error line ("[dptrain error ...]"), and it matches
#     <pattern> (an extended regex that names the bad input: its file, option or variable);
#   - no uncaught-exception, abort or MPI_Abort banner;
#   - nothing was left behind: no file under $work appeared or vanished, apart from paths
#     matching an --allow glob (relative to $work).
# Each case builds its own input before calling bad; a failed case is reported and counted,
# and the next one runs.
tried=0
clean=0
failures=()

bad() {
  local name=$1 code=$2 pattern=$3
  shift 3
  local allow=()
  while [[ $1 != "--" ]]; do
    [[ $1 == "--allow" ]] && allow+=("$2")
    shift 2
  done
  shift
  tried=$((tried + 1))
  local log="$logs/$name.txt" cwd="$work/cwd"
  mkdir -p "$cwd"
  find "$work" | sort >"$logs/$name.before"
  (cd "$cwd" && timeout --kill-after=5 120 "$@") >"$log" 2>&1
  local rc=$?
  find "$work" | sort >"$logs/$name.after"
  local problem=""
  local errors
  errors=$(grep -c '^\[dptrain error' "$log")
  if [[ $rc -ne $code ]]; then
    problem="exit code $rc, wanted $code"
  elif [[ $errors -ne 1 ]]; then
    problem="$errors error lines, wanted exactly 1"
  elif ! grep '^\[dptrain error' "$log" | grep -qE -- "$pattern"; then
    problem="the error line does not match /$pattern/"
  elif grep -qE 'terminate called|Aborted|core dumped|MPI_ABORT|Segmentation fault' "$log"; then
    problem="a crash or abort banner in the output"
  else
    local changed
    changed=$(comm -3 "$logs/$name.before" "$logs/$name.after" | sed 's/^\t//; s|^'"$work"'/||')
    local left=()
    while IFS= read -r path; do
      [[ -z $path ]] && continue
      local allowed=0 glob
      for glob in "${allow[@]}"; do
        # shellcheck disable=SC2053  # glob match on purpose
        [[ $path == $glob ]] && allowed=1
      done
      [[ $allowed -eq 0 ]] && left+=("$path")
    done <<<"$changed"
    [[ ${#left[@]} -gt 0 ]] && problem="files appeared or vanished: ${left[*]}"
  fi
  rm -rf "$cwd"
  if [[ -z $problem ]]; then
    clean=$((clean + 1))
    printf 'ok    %-32s %s\n' "$name" "$(grep -m1 '^\[dptrain error' "$log" | cut -c1-150)"
  else
    failures+=("$name")
    printf 'FAIL  %-32s %s\n' "$name" "$problem"
    sed 's/^/      | /' "$log" | head -20
  fi
}
