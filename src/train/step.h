#pragma once
// One optimizer step of data-parallel training, shared by the Trainer and the equivalence
// tests: A micro-batches of forward + backward (only the last one communicates), gradient
// averaging, clipping, optimizer step.
#include <ATen/core/Tensor.h>
#include <torch/optim/optimizer.h>

#include <functional>
#include <vector>

#include "ddp/grad_reducer.h"
#include "models/model.h"

namespace dpt::train {

struct MicroBatch {
  at::Tensor inputs;  // [b, ...] float
  at::Tensor labels;  // [b] int64
};

// Where one step's time went, and its loss (this rank's mean over its micro-batches).
struct StepStats {
  double loss = 0;
  double grad_norm = 0;        // global L2 norm of the averaged gradients, before clipping
  // Note [Non-finite steps]: the loss of some rank, or the averaged gradient, was NaN/Inf. The
  // optimizer step was not taken (gradients zeroed); the decision is the same on every rank.
  bool nonfinite = false;
  std::vector<int> nonfinite_loss_ranks;  // ranks whose loss was NaN/Inf (needs rank flags)
  int first_nonfinite_grad = -1;          // index into `parameters`, or -1
  double data_wait_s = 0;      // inside next_batch()
  double forward_backward_s = 0;
  double comm_exposed_s = 0;   // waiting for gradient all-reduce after backward
  double optimizer_s = 0;      // clipping + optimizer step + zeroing
};

// Runs one optimizer step over `accumulation` micro-batches drawn from `next_batch`. Each
// micro-batch's mean loss is scaled by 1/accumulation, so the gradient is the mean over all the
// step's samples of this rank; `reducer` (may be null for a single process) then averages over
// ranks — together the mean over the global batch. Every rank must call it in lockstep.
//
// Note [Non-finite steps]
// A NaN/Inf loss on any rank is seen by every rank without an extra collective: each rank's
// "my loss is not finite" flag rides along the last gradient bucket (Note [Rank flags], when the
// reducer has rank_flags; without a reducer the local loss decides). A non-finite gradient
// needs no flag: averaging spreads it to every rank's copy, and the global gradient norm
// (computed every step, before clipping) is then NaN/Inf everywhere. Either way the step skips
// optimizer.step() and reports it in StepStats; the caller decides to stop or go on.
StepStats train_step(models::Model& model, torch::optim::Optimizer& optimizer, ddp::GradReducer* reducer,
                     const std::vector<at::Tensor>& parameters, int64_t accumulation,
                     const std::function<MicroBatch()>& next_batch, double clip_norm);

}  // namespace dpt::train
