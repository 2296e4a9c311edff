#include "checkpoint/fault.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "common/env.h"
#include "common/error.h"
#include "common/timer.h"

namespace dpt::checkpoint {
namespace {

bool matches(const std::string& pattern, int64_t value) { return pattern == "*" || pattern == std::to_string(value); }

}  // namespace

void fault_point(const char* stage, int rank, int64_t step) {
  const std::vector<std::string> parts = env::get_fields(env::kCheckpointFault, ':');
  if (parts.empty()) return;
  DPT_CHECK(parts.size() >= 2 && parts.size() <= 4, ConfigError,
            env::kCheckpointFault << "='" << env::get_string(env::kCheckpointFault, "")
                                  << "' is not <stage>:<action>[:<rank>[:<step>]]");
  if (parts[0] != stage) return;
  if (!matches(parts.size() > 2 ? parts[2] : "0", rank)) return;
  if (parts.size() > 3 && !matches(parts[3], step)) return;
  const std::string& action = parts[1];
  if (action == "kill") {
    std::fprintf(stderr, "checkpoint fault: killed at %s pid %d at_ns=%lld\n", stage, static_cast<int>(::getpid()),
                 static_cast<long long>(wall_clock_ns()));
    std::fflush(stderr);
    ::kill(::getpid(), SIGKILL);
  } else if (action == "pause") {
    std::fprintf(stderr, "checkpoint fault: paused at %s pid %d\n", stage, static_cast<int>(::getpid()));
    std::fflush(stderr);
    for (;;) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } else if (action == "throw") {
    DPT_THROW(CheckpointError, "injected fault at checkpoint stage '" << stage << "' (" << env::kCheckpointFault << ")");
  } else {
    DPT_THROW(ConfigError, env::kCheckpointFault << ": unknown action '" << action << "'; use kill, pause or throw");
  }
}

}  // namespace dpt::checkpoint
