#include "comm/watchdog.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "runtime/signals.h"

namespace dpt::comm {
namespace {

// See Note [Stop signal while waiting].
constexpr double kProbeAfterS = 1.0;

double seconds(Watchdog::Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string format_seconds(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", s);
  return text;
}

bool thread_multiple() {
  int provided = MPI_THREAD_SINGLE;
  return MPI_Query_thread(&provided) == MPI_SUCCESS && provided >= MPI_THREAD_MULTIPLE;
}

}  // namespace

Watchdog::Watchdog(MPI_Comm world, Options options)
    : options_(std::move(options)), poll_s_(std::clamp(options_.timeout_s / 10, 0.01, 1.0)) {
  int size = 1;
  MPI_Comm_size(world, &size);
  if (size > 1) {
    // Every rank decides the same way (same MPI library), so the dup below is collective.
    if (thread_multiple()) {
      channel_ = std::make_unique<PeerChannel>(world);
    } else {
      channel_unusable_ = true;
    }
  }
  char host[64] = "?";
  gethostname(host, sizeof host - 1);
  whoami_ = std::string("host ") + host + " pid " + std::to_string(getpid()) + ": ";
  thread_ = std::thread([this] { loop(); });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(stop_mutex_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  thread_.join();
}

void Watchdog::enter(const CollectiveInfo& info) {
  std::lock_guard<std::mutex> lock(mutex_);
  last_ = info;
}

void Watchdog::track(const CollectiveInfo& info, std::shared_ptr<Work> work) {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_.push_back({info, std::move(work), {}});
}

std::optional<Watchdog::Waiting> Watchdog::oldest(Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  while (!pending_.empty() && pending_.front().work->is_completed()) pending_.pop_front();
  for (Pending& p : pending_) {
    if (p.seen == Clock::time_point{}) p.seen = now;
  }
  if (last_.seq != issue_seq_) {
    issue_seq_ = last_.seq;
    issue_seen_ = now;
  }
  const bool in_call = done_seq_.load(std::memory_order_acquire) < last_.seq;
  if (in_call && call_seq_ != last_.seq) {
    call_seq_ = last_.seq;
    call_seen_ = now;
  }
  // The oldest unfinished collective: the async one at the queue's head, or the one in a call.
  const Pending* head = pending_.empty() ? nullptr : &pending_.front();
  if (head != nullptr && (!in_call || head->info.seq < last_.seq)) {
    return Waiting{head->info, seconds(now - head->seen), pending_.size() - 1 + (in_call ? 1 : 0)};
  }
  if (in_call) return Waiting{last_, seconds(now - call_seen_), 0};
  return std::nullopt;
}

PeerStatus Watchdog::status() {
  const Clock::time_point now = Clock::now();
  PeerStatus out;
  std::string text;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    out.issued_seq = last_.seq;
    const bool in_call = done_seq_.load(std::memory_order_acquire) < last_.seq;
    const Pending* head = nullptr;
    for (const Pending& p : pending_) {
      if (!p.work->is_completed()) {
        head = &p;
        break;
      }
    }
    text = whoami_;
    text += last_.seq == 0 ? "no collective issued yet" : "last issued " + last_.describe();
    if (head != nullptr && head->seen != Clock::time_point{}) {
      out.waiting_seq = head->info.seq;
      out.waiting_s = seconds(now - head->seen);
      text += "; still inside #" + std::to_string(head->info.seq) + " for " + format_seconds(out.waiting_s);
    } else if (in_call && call_seq_ == last_.seq) {
      out.waiting_seq = last_.seq;
      out.waiting_s = seconds(now - call_seen_);
      text += "; inside it for " + format_seconds(out.waiting_s);
    } else {
      out.waiting_s = issue_seq_ == last_.seq ? seconds(now - issue_seen_) : 0;
      text += "; not inside a collective (nothing issued for " + format_seconds(out.waiting_s) + ")";
    }
  }
  std::strncpy(out.text, text.c_str(), sizeof out.text - 1);
  return out;
}

Watchdog::Answers Watchdog::ask_peers() {
  if (!channel_) return {};
  return channel_->ask_all(status(), answer_window_s());
}

bool Watchdog::any_silent(const Answers& answers) const {
  for (size_t r = 0; r < answers.size(); ++r) {
    if (static_cast<int>(r) != channel_->rank() && !answers[r]) return true;
  }
  return false;
}

std::string Watchdog::peers_report(const Waiting& waiting, const Answers& answers) const {
  if (channel_unusable_) return "peer state unknown (MPI did not grant MPI_THREAD_MULTIPLE)";
  std::string late, silent, with_us;
  for (int r = 0; r < static_cast<int>(answers.size()); ++r) {
    if (r == channel_->rank()) continue;
    if (!answers[r]) {
      silent += (silent.empty() ? "" : ", ") + std::to_string(r);
    } else if (answers[r]->issued_seq < waiting.info.seq) {
      late += (late.empty() ? "" : "; ") + std::string("rank ") + std::to_string(r) + " [" + answers[r]->text + "]";
    } else {
      with_us += (with_us.empty() ? "" : ", ") + std::to_string(r);
    }
  }
  std::string out;
  auto add = [&out](const std::string& part) { out += (out.empty() ? "" : "; ") + part; };
  if (!late.empty()) add("not arrived: " + late);
  if (!silent.empty()) add("no answer within " + format_seconds(answer_window_s()) + " from rank(s) " + silent +
                           " (dead, or the whole process hangs)");
  if (!with_us.empty()) add("arrived (waiting too): rank(s) " + with_us);
  return out;
}

void Watchdog::expire(const Waiting& waiting, const std::string& why, const Answers* answers) {
  if (options_.backstop_alarm) {
    // Should MPI itself hang while we ask the peers or abort, SIGALRM ends the process.
    alarm(static_cast<unsigned>(std::ceil(answer_window_s())) + 30);
  }
  const Answers asked = answers != nullptr ? Answers{} : ask_peers();
  std::string line = "collective watchdog: " + waiting.info.describe() + " " + why;
  if (waiting.behind > 0) line += ", " + std::to_string(waiting.behind) + " later collective(s) queued behind it";
  const std::string peers = peers_report(waiting, answers != nullptr ? *answers : asked);
  if (!peers.empty()) line += "; " + peers;
  options_.on_expire(line + "; aborting the job");
}

void Watchdog::loop() {
  const auto poll = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(poll_s_));
  Clock::time_point next_probe{};
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(stop_mutex_);
      if (stop_cv_.wait_for(lock, poll, [this] { return stop_; })) return;
    }
    const Clock::time_point now = Clock::now();
    const std::optional<Waiting> waiting = oldest(now);
    if (waiting && waiting->waited_s >= options_.timeout_s) {
      char limit[32];
      std::snprintf(limit, sizeof limit, "%g", options_.timeout_s);
      expire(*waiting, "has not completed after " + format_seconds(waiting->waited_s) + " (comm.timeout_s=" + limit + ")",
             nullptr);
      return;
    }
    // Note [Stop signal while waiting]: srun --kill-on-bad-exit and mpirun answer a dead rank
    // with SIGTERM to the others, which only sets the stop flag (runtime/signals.h) -- useless
    // to a rank blocked in a collective. So while a stop signal is pending and this rank has
    // waited a while, ask the peers; when one does not answer, end the job now instead of
    // after comm.timeout_s (or the launcher's SIGKILL).
    if (waiting && channel_ && waiting->waited_s >= std::min(options_.timeout_s, kProbeAfterS) && now >= next_probe &&
        runtime::stop_requested()) {
      const Answers answers = ask_peers();
      if (any_silent(answers)) {
        expire(*waiting, "has waited " + format_seconds(waiting->waited_s) + " with stop signal " +
                             std::to_string(runtime::pending_stop_signal()) + " pending",
               &answers);
        return;
      }
      next_probe = now + std::chrono::seconds(5);
    }
    if (channel_) channel_->answer_queries(status());
  }
}

}  // namespace dpt::comm
