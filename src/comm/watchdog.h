#pragma once
// Watchdog: a deadline for every collective of one communicator.
//
// Note [Collective watchdog]
// A collective that a peer never joins (dead rank, stalled rank, a rank that issued a different
// collective) blocks forever in MPI, or never completes on the NCCL stream. The watchdog is a
// thread per communicator that looks, every poll interval (timeout/10, at most 1 s), at the
// oldest collective this rank has not finished: one inside a call (a blocking collective, or the
// issue of an async one) or an async one whose Work is not completed yet. The issuing threads
// only record what they issue (a mutex-protected copy of a small struct and an atomic store:
// no clock reads, no allocation on the blocking path); the watchdog thread stamps the time at
// which it first saw a collective unfinished, so a deadline expires between timeout_s and
// timeout_s + one poll interval after the collective started.
// On expiry it asks the other ranks where they are over a side channel (comm/peer_channel.h),
// writes one line — the collective (op, label, step, dtype, size), how long it waited, which
// ranks have not arrived and where they are, which ranks did not answer — and calls the expiry
// handler, which aborts the job (GuardedCommunicator: the backend's abort, then MPI_Abort).
// It also ends the job early when a stop signal is pending, this rank has waited in a
// collective for a second and a peer does not answer (Note [Stop signal while waiting] in
// watchdog.cc): how srun --kill-on-bad-exit reports a dead rank.
#include <mpi.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "comm/collective.h"
#include "comm/communicator.h"
#include "comm/peer_channel.h"

namespace dpt::comm {

class Watchdog {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    double timeout_s = 300;
    // Called once, on the watchdog thread, with the report line. Should end the process.
    std::function<void(const std::string& report)> on_expire;
    // Arms alarm() before asking the peers, so that even an MPI call that hangs in the report
    // ends the process (SIGALRM). Off in tests that survive an expiry.
    bool backstop_alarm = true;
  };

  // Collective over `world` (the peer channel, when the world has several ranks and MPI grants
  // MPI_THREAD_MULTIPLE). Starts the thread.
  Watchdog(MPI_Comm world, Options options);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // The issue path, called in issue order by whichever thread issues the collective:
  // enter() when the call starts, leave() when it returns (also when it throws), and for an
  // async collective track() in between, which watches its Work until it is completed.
  void enter(const CollectiveInfo& info);
  void leave(uint64_t seq) { done_seq_.store(seq, std::memory_order_release); }
  void track(const CollectiveInfo& info, std::shared_ptr<Work> work);

  double timeout_s() const { return options_.timeout_s; }
  double poll_s() const { return poll_s_; }

 private:
  // What this rank answers a peer that asks. Watchdog thread only.
  PeerStatus status();
  struct Pending {
    CollectiveInfo info;
    std::shared_ptr<Work> work;
    Clock::time_point seen{};  // when the watchdog first saw it unfinished
  };
  // The oldest collective this rank has not finished.
  struct Waiting {
    CollectiveInfo info;
    double waited_s;
    size_t behind;  // unfinished collectives issued after it
  };
  using Answers = std::vector<std::optional<PeerStatus>>;  // per rank; empty: did not answer

  void loop();
  std::optional<Waiting> oldest(Clock::time_point now);
  double answer_window_s() const { return 2 * poll_s_ + 0.5; }  // every peer polls at least once
  Answers ask_peers();
  bool any_silent(const Answers& answers) const;
  std::string peers_report(const Waiting& waiting, const Answers& answers) const;
  // Writes the report (asking the peers unless `answers` is given) and calls on_expire.
  void expire(const Waiting& waiting, const std::string& why, const Answers* answers);

  Options options_;
  double poll_s_;
  std::unique_ptr<PeerChannel> channel_;  // null: one rank, or no MPI_THREAD_MULTIPLE
  bool channel_unusable_ = false;         // several ranks but no MPI_THREAD_MULTIPLE
  std::string whoami_;                    // "host h pid p: "

  std::mutex mutex_;
  CollectiveInfo last_;          // the last collective issued
  std::deque<Pending> pending_;  // async collectives not yet seen completed, in issue order
  std::atomic<uint64_t> done_seq_{0};  // the last call that returned

  // Watchdog thread only.
  uint64_t call_seq_ = 0;
  Clock::time_point call_seen_{};
  uint64_t issue_seq_ = 0;
  Clock::time_point issue_seen_{};

  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace dpt::comm
