#include "train/fault.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <limits>
#include <thread>
#include <vector>

#include "common/env.h"
#include "common/error.h"
#include "common/timer.h"

namespace dpt::train {

TrainFault TrainFault::from_env(int rank) {
  TrainFault fault;
  const std::vector<std::string> f = env::get_fields(env::kTrainFault, ':');
  if (f.empty()) return fault;
  DPT_CHECK(f.size() == 3 && (f[0] == "nan" || f[0] == "inf" || f[0] == "stall" || f[0] == "kill"), ConfigError,
            env::kTrainFault << "='" << env::get_string(env::kTrainFault, "")
                             << "' is not <nan|inf|stall|kill>:<rank>:<step>");
  if (f[1] != "*" && env::parse_int(env::kTrainFault, f[1]) != rank) return fault;
  fault.action_ = f[0];
  fault.step_ = env::parse_int(env::kTrainFault, f[2]);
  return fault;
}

void TrainFault::at(int64_t step, bool first_micro_batch, at::Tensor& input) const {
  if (action_.empty() || step != step_) return;
  if (action_ == "nan" || action_ == "inf") {
    DPT_CHECK(input.is_floating_point(), ConfigError, env::kTrainFault << ": the model input is not floating point");
    input.fill_(action_ == "nan" ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity());
    return;
  }
  if (!first_micro_batch) return;
  std::fprintf(stderr, "train fault: %s in step %lld pid %d at_ns=%lld\n", action_ == "kill" ? "killed" : "stalled",
               static_cast<long long>(step), static_cast<int>(::getpid()),
               static_cast<long long>(wall_clock_ns()));
  std::fflush(stderr);
  if (action_ == "kill") ::kill(::getpid(), SIGKILL);
  for (;;) std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

}  // namespace dpt::train
