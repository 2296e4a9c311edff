#!/usr/bin/env bash
# A stalled rank: rank 1 sleeps inside step 8 (DPT_TRAIN_FAULT=stall:1:8, outside any
# collective). Rank 0 waits in that step's gradient all-reduce; after comm.timeout_s=3 its
# watchdog must write one line naming the collective, the step and rank 1 (with its host, pid
# and last collective), and abort the job: every rank gone, exit code non-zero, well before the
# 60 s limit.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
log=$work/stall.log
DPT_TRAIN_FAULT=stall:1:8 expect_failure 60 "$log" \
  mpiexec -n 2 "$DPTRAIN" train "${common[@]}" --checkpoint.every_steps=5 --run.name=stall --comm.timeout_s=3
cat "$log"
line=$(grep "collective watchdog:" "$log" | head -1) || fail "no watchdog report"
for part in "allreduce(avg) #" "'gradient bucket 0' step 8 has not completed after" "(comm.timeout_s=3)" \
            "not arrived: rank 1 [host " "not inside a collective" "aborting the job"; do
  [[ $line == *"$part"* ]] || fail "the watchdog report lacks '$part': $line"
done
[[ $(grep -c "collective watchdog:" "$log") -eq 1 ]] || fail "expected one report (rank 0's), got more"
pid=$(sed -n 's/^train fault: stalled in step 8 pid \([0-9]*\) at_ns=.*/\1/p' "$log")
[[ -n $pid ]] || fail "rank 1 never stalled"
[[ $line == *"pid $pid:"* ]] || fail "the report does not name the stalled process (pid $pid): $line"
# The launcher sends SIGTERM (which dptrain only notes, runtime/signals.h) and then SIGKILL.
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$pid" 2>/dev/null || fail "the stalled rank (pid $pid) survived the abort by 10 s"
ms=$(death_to_end_ms "$log")
((ms < 20000)) || fail "the job ended $ms ms after the stall with comm.timeout_s=3"
echo "stalled rank reported; job ended $ms ms after the stall (exit $rc): ok"
