#pragma once
// Rank-prefixed logging. Each message is written as one line with one write(), so lines from
// threads and ranks do not interleave mid-line.
//
//   DPT_LOG(kInfo) << "resolved config:\n" << text;
//
// Levels come from DPT_LOG_LEVEL (debug|info|warn|error, default info). Info and debug lines
// are printed by rank 0 only unless DPT_LOG_RANKS=all; warnings and errors by every rank.
#include <sstream>
#include <string>

namespace dpt::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Registers this process's rank (and world size) for prefixes and error messages. Called once
// by the runtime after MPI is up; before that, lines carry no rank.
void set_rank(int rank, int world_size);
int rank();

// True when a line at `level` would be printed by this rank.
bool enabled(Level level);

// Writes one finished line to stderr, prefixed "[dptrain <level> r<rank>/<size>] ".
void write(Level level, const std::string& message);

// Collects one line and writes it when destroyed.
class Line {
 public:
  explicit Line(Level level) : level_(level) {}
  ~Line() { write(level_, stream_.str()); }
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;
  template <typename T>
  Line& operator<<(const T& value) {
    stream_ << value;
    return *this;
  }

 private:
  Level level_;
  std::ostringstream stream_;
};

}  // namespace dpt::log

#define DPT_LOG(level)                                                       \
  if (!::dpt::log::enabled(::dpt::log::Level::level)) {                      \
  } else                                                                     \
    ::dpt::log::Line(::dpt::log::Level::level)
