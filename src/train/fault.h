#pragma once
// Note [Training fault injection]
// A test-only seam, like DPT_CHECKPOINT_FAULT (checkpoint/fault.h):
// DPT_TRAIN_FAULT=<action>:<rank>:<step> makes rank <rank> ('*' = every rank) misbehave in
// training step <step> (1-based: the step that completes <step> steps), when it fetches the
// step's first micro-batch:
//   nan, inf  the rank's input micro-batches of that step are filled with NaN / +Inf, so its
//             loss and gradients become non-finite (tests of train.nonfinite)
//   stall     prints "train fault: stalled in step S pid P at_ns=T" to stderr and sleeps until
//             killed, as a rank stuck in I/O or a deadlock would (tests of the watchdog)
//   kill      prints "train fault: killed ..." and sends itself SIGKILL (a dead rank mid-step)
// tests/mpi/reliability/ use it to check that the job fails fast and says why.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

namespace dpt::train {

class TrainFault {
 public:
  // Reads DPT_TRAIN_FAULT for this rank; throws ConfigError when it is malformed.
  static TrainFault from_env(int rank);
  // Acts when `step` is the fault's step: poisons `input` (nan/inf, every micro-batch of the
  // step), or stalls or kills the process (at the step's first micro-batch).
  void at(int64_t step, bool first_micro_batch, at::Tensor& input) const;

 private:
  std::string action_;  // empty: no fault on this rank
  int64_t step_ = -1;
};

}  // namespace dpt::train
