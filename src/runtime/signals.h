#pragma once
// Stop signals (DESIGN.md §3 "Failure semantics"). A scheduler that wants a training to end
// early — Slurm before a time limit or a preemption (`--signal`, scancel), a user with `kill` —
// sends SIGTERM, SIGUSR1 or SIGUSR2 (configurable: run.stop_signals). The handler only records
// the signal in a process-wide atomic; the step loop looks at it at the next step boundary,
// where all ranks agree on it (comm/stop_agreement.h), write a checkpoint and exit with
// kExitStopped (apps/command.h), which cluster/slurm/train.sbatch turns into a requeue.
//
// Note [Why only a flag]: a handler may run on any thread at any instruction, e.g. inside an
// MPI call or a collective HDF5 write. Nothing there is async-signal-safe except storing to a
// lock-free atomic, and stopping one rank mid-collective would hang the others; acting at a
// step boundary, after an agreement, is the one point where every rank can stop together.
//
// Note [Second signal]: a second stop signal while the first is still pending restores the
// signal's default action and re-raises it, so a run that is stuck (or does not check the flag)
// still ends when asked twice — as Ctrl-C twice does in many tools.
#include <string>
#include <vector>

namespace dpt::runtime {

// Signal numbers from run.stop_signals: a comma-separated list of names with or without "SIG"
// ("TERM,USR1,SIGUSR2", any case) or numbers; "" or "none" means no stop signals. Throws
// ConfigError naming the option for an unknown name or a signal that cannot or must not be
// caught (KILL, STOP, SEGV, ...).
std::vector<int> parse_stop_signals(const std::string& text);

// The name of a signal without "SIG" ("USR1"), or its number as text when unknown.
std::string signal_name(int signal);

// RAII: while alive, each signal in the list sets the stop flag instead of its default action
// (terminate). Restores the previous handlers on destruction. At most one may exist at a time
// (throws InternalError otherwise): the flag and the handlers are process-wide. Construct it on
// the main thread; signals arriving before construction still have their default action.
class StopSignalHandler {
 public:
  explicit StopSignalHandler(const std::vector<int>& signals);
  ~StopSignalHandler();
  StopSignalHandler(const StopSignalHandler&) = delete;
  StopSignalHandler& operator=(const StopSignalHandler&) = delete;

  const std::vector<int>& signals() const { return signals_; }

 private:
  struct Saved;
  std::vector<int> signals_;
  std::vector<Saved> saved_;
};

// The first stop signal this process received (0 when none). Cheap (one atomic load) and safe
// from any thread; local to this process — use comm::stop_signal_anywhere() for the decision.
int pending_stop_signal();
inline bool stop_requested() { return pending_stop_signal() != 0; }

// Sets every signal that run.stop_signals may name to "ignore" for the rest of the process.
// For the last moments of a process that stopped as asked (kExitStopped): once the first rank
// exits with that non-zero code, `srun --kill-on-bad-exit` and mpirun send SIGTERM to the
// others, and a rank killed then would turn the job's code into 143 (128 + SIGTERM); ignoring
// it lets every rank exit with kExitStopped. The launcher's SIGKILL still ends a stuck rank.
void ignore_stop_signals();

// Records `signal` as if it had arrived (tests, and a future "stop after N seconds" timer).
// Async-signal-safe. The first recorded signal wins.
void request_stop(int signal);
// Forgets a recorded stop signal (tests; a resumed in-process run).
void clear_stop_request();

}  // namespace dpt::runtime
