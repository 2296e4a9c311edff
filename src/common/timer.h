#pragma once
// Monotonic wall-clock timing.
#include <chrono>
#include <cstdint>

namespace dpt {

class Stopwatch {
 public:
  Stopwatch() : start_(Clock::now()) {}
  void reset() { start_ = Clock::now(); }
  double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  using Clock = std::chrono::steady_clock;
  Clock::time_point start_;
};

// Nanoseconds since the epoch, as `date +%s%N` prints them: fault-injection hooks print it so
// that tests can measure the time from a rank's death to the end of the job.
inline int64_t wall_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace dpt
