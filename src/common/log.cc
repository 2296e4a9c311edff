#include "common/log.h"

#include <unistd.h>

#include <atomic>
#include <cstring>

#include "common/env.h"

namespace dpt::log {
namespace {

std::atomic<int> g_rank{-1};
std::atomic<int> g_size{0};

Level parse_level() {
  const std::string v = env::get_string(env::kLogLevel, "info");
  if (v == "debug") return Level::kDebug;
  if (v == "warn" || v == "warning") return Level::kWarn;
  if (v == "error") return Level::kError;
  return Level::kInfo;
}

const char* level_name(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "?";
}

}  // namespace

void set_rank(int rank, int world_size) {
  g_rank = rank;
  g_size = world_size;
}

int rank() { return g_rank; }

bool enabled(Level level) {
  static const Level threshold = parse_level();
  static const bool all_ranks = env::get_string(env::kLogRanks, "0") == "all";
  if (level < threshold) return false;
  if (level >= Level::kWarn || all_ranks) return true;
  return g_rank <= 0;
}

void write(Level level, const std::string& message) {
  std::string line = "[dptrain ";
  line += level_name(level);
  if (g_rank >= 0) line += " r" + std::to_string(g_rank.load()) + "/" + std::to_string(g_size.load());
  line += "] ";
  line += message;
  if (line.empty() || line.back() != '\n') line += '\n';
  // One write() per line: POSIX keeps it whole for pipes up to PIPE_BUF and in practice for
  // terminals and files, so concurrent ranks do not interleave mid-line.
  const char* data = line.data();
  size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, data, left);
    if (n <= 0) return;
    data += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace dpt::log
