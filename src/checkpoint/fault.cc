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

namespace dpt::checkpoint {
namespace {

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t pos = 0;
  for (size_t next; (next = text.find(sep, pos)) != std::string::npos; pos = next + 1) {
    parts.push_back(text.substr(pos, next - pos));
  }
  parts.push_back(text.substr(pos));
  return parts;
}

bool matches(const std::string& pattern, int64_t value) { return pattern == "*" || pattern == std::to_string(value); }

}  // namespace

void fault_point(const char* stage, int rank, int64_t step) {
  const std::string spec = env::get_string(env::kCheckpointFault, "");
  if (spec.empty()) return;
  const std::vector<std::string> parts = split(spec, ':');
  DPT_CHECK(parts.size() >= 2 && parts.size() <= 4, ConfigError,
            env::kCheckpointFault << "='" << spec << "' is not <stage>:<action>[:<rank>[:<step>]]");
  if (parts[0] != stage) return;
  if (!matches(parts.size() > 2 ? parts[2] : "0", rank)) return;
  if (parts.size() > 3 && !matches(parts[3], step)) return;
  const std::string& action = parts[1];
  if (action == "kill") {
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
