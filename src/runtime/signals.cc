#include "runtime/signals.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "common/error.h"
#include "common/log.h"

namespace dpt::runtime {
namespace {

// The one piece of process-wide state: a signal handler has nowhere else to write
// (Note [Why only a flag]). 0 = no stop requested, else the first signal's number.
std::atomic<int> g_stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "the stop flag must be usable in a signal handler");
// Whether a StopSignalHandler is alive (one at a time: they would fight over the handlers).
std::atomic<bool> g_installed{false};
// "[dptrain warn r<rank>] ", written before the handlers are installed and only read by them:
// a handler cannot format numbers or allocate.
char g_prefix[48] = "[dptrain warn] ";

struct NamedSignal {
  int number;
  const char* name;
};

// Signals a stop may be requested with: those whose default action ends the process and that
// a scheduler or a user sends on purpose. Not KILL/STOP (cannot be caught), not CONT (Slurm
// sends it before every TERM), not faults (SEGV, BUS, FPE, ILL, ABRT: the process is broken).
constexpr NamedSignal kStoppable[] = {
    {SIGTERM, "TERM"}, {SIGUSR1, "USR1"}, {SIGUSR2, "USR2"}, {SIGINT, "INT"},   {SIGHUP, "HUP"},
    {SIGQUIT, "QUIT"}, {SIGALRM, "ALRM"}, {SIGXCPU, "XCPU"}, {SIGVTALRM, "VTALRM"},
};

const char* stoppable_name(int signal) {
  for (const auto& s : kStoppable) {
    if (s.number == signal) return s.name;
  }
  return nullptr;
}

// Appends `text` to buf[*len] within `cap`; async-signal-safe (no allocation, no locale).
void append(char* buf, size_t cap, size_t* len, const char* text) {
  while (*text != '\0' && *len + 1 < cap) buf[(*len)++] = *text++;
}

extern "C" void on_stop_signal(int signal) {
  const int saved_errno = errno;  // a handler must leave errno as it found it
  int expected = 0;
  const bool first = g_stop_signal.compare_exchange_strong(expected, signal);
  char msg[200];
  size_t len = 0;
  const char* name = stoppable_name(signal);
  append(msg, sizeof msg, &len, g_prefix);
  append(msg, sizeof msg, &len, "received SIG");
  append(msg, sizeof msg, &len, name != nullptr ? name : "?");
  append(msg, sizeof msg, &len,
         first ? "; stopping at the next step boundary (send it again to end at once)\n"
               : " again; ending now\n");
  (void)!::write(STDERR_FILENO, msg, len);
  if (!first) {
    // Note [Second signal]: default action, delivered as soon as this handler returns (the
    // signal is blocked while its handler runs).
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    ::sigaction(signal, &dfl, nullptr);
    ::raise(signal);
  }
  errno = saved_errno;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::string allowed_list() {
  std::string out;
  for (const auto& s : kStoppable) out += (out.empty() ? "" : ", ") + std::string(s.name);
  return out;
}

int parse_one(const std::string& item) {
  std::string name = upper(item);
  if (!name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isdigit(c); })) {
    const int number = std::atoi(name.c_str());
    DPT_CHECK(stoppable_name(number) != nullptr, ConfigError,
              "run.stop_signals: signal " << number << " cannot be a stop signal; use one of " << allowed_list());
    return number;
  }
  if (name.rfind("SIG", 0) == 0) name = name.substr(3);
  for (const auto& s : kStoppable) {
    if (name == s.name) return s.number;
  }
  DPT_THROW(ConfigError, "run.stop_signals: '" << item << "' is not a signal dptrain can stop on; use a "
            "comma-separated list of " << allowed_list() << " (or 'none')");
}

}  // namespace

std::vector<int> parse_stop_signals(const std::string& text) {
  std::vector<int> signals;
  const std::string whole = trim(text);
  if (whole.empty() || upper(whole) == "NONE") return signals;
  size_t pos = 0;
  while (pos <= whole.size()) {
    const size_t comma = whole.find(',', pos);
    const std::string item = trim(whole.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
    DPT_CHECK(!item.empty(), ConfigError, "run.stop_signals: empty entry in '" << text << "'");
    const int number = parse_one(item);
    if (std::find(signals.begin(), signals.end(), number) == signals.end()) signals.push_back(number);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return signals;
}

std::string signal_name(int signal) {
  const char* name = stoppable_name(signal);
  return name != nullptr ? name : std::to_string(signal);
}

struct StopSignalHandler::Saved {
  int signal;
  struct sigaction action;
};

StopSignalHandler::StopSignalHandler(const std::vector<int>& signals) : signals_(signals) {
  DPT_CHECK(!g_installed.exchange(true), InternalError,
            "a StopSignalHandler is already installed; the stop flag is process-wide, keep one");
  const std::string prefix =
      log::rank() >= 0 ? "[dptrain warn r" + std::to_string(log::rank()) + "] " : std::string("[dptrain warn] ");
  std::snprintf(g_prefix, sizeof g_prefix, "%s", prefix.c_str());
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  // SA_RESTART: a read() or MPI progress call interrupted by the signal resumes instead of
  // failing with EINTR; the flag is looked at later, at a step boundary, anyway.
  action.sa_flags = SA_RESTART;
  for (const int signal : signals_) {
    Saved saved{signal, {}};
    if (::sigaction(signal, &action, &saved.action) != 0) {
      const int err = errno;
      for (const auto& s : saved_) ::sigaction(s.signal, &s.action, nullptr);
      g_installed = false;
      DPT_THROW(InternalError, "sigaction(SIG" << signal_name(signal) << ") failed: " << std::strerror(err));
    }
    saved_.push_back(saved);
  }
}

StopSignalHandler::~StopSignalHandler() {
  for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) ::sigaction(it->signal, &it->action, nullptr);
  g_installed = false;
}

void ignore_stop_signals() {
  for (const auto& s : kStoppable) std::signal(s.number, SIG_IGN);
}

int pending_stop_signal() { return g_stop_signal.load(std::memory_order_relaxed); }

void request_stop(int signal) {
  int expected = 0;
  g_stop_signal.compare_exchange_strong(expected, signal);
}

void clear_stop_request() { g_stop_signal.store(0); }

}  // namespace dpt::runtime
