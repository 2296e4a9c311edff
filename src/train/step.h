#pragma once
// One optimizer step of data-parallel training, shared by the Trainer and the equivalence
// tests: A micro-batches of forward + backward (only the last one communicates), gradient
// averaging, clipping, optimizer step.
#include <ATen/core/Tensor.h>
#include <torch/optim/optimizer.h>

#include <functional>
#include <vector>

#include "ddp/grad_reducer.h"
#include "ddp/sharded_optimizer.h"
#include "models/model.h"

namespace dpt::train {

struct MicroBatch {
  at::Tensor inputs;  // [b, ...] float
  at::Tensor labels;  // [b] int64
};

// Where one step's time went, and its loss (this rank's mean over its micro-batches).
struct StepStats {
  double loss = 0;
  double grad_norm = 0;        // global L2 norm before clipping; 0 when clip_norm is 0 (not
                               // computed then: it would cost a host sync per step on a GPU)
  double data_wait_s = 0;      // inside next_batch()
  double forward_backward_s = 0;
  double comm_exposed_s = 0;   // waiting for gradient all-reduce after backward
  double optimizer_s = 0;      // clipping + optimizer step + zeroing
};

// Runs one optimizer step over `accumulation` micro-batches drawn from `next_batch`. Each
// micro-batch's mean loss is scaled by 1/accumulation, so the gradient is the mean over all the
// step's samples of this rank; `reducer` (may be null for a single process) then averages over
// ranks — together the mean over the global batch. Every rank must call it in lockstep.
// `before_update` (optional) runs between the reduction and clipping, e.g. to mask gradients.
StepStats train_step(models::Model& model, torch::optim::Optimizer& optimizer, ddp::GradReducer* reducer,
                     const std::vector<at::Tensor>& parameters, int64_t accumulation,
                     const std::function<MicroBatch()>& next_batch, double clip_norm,
                     const std::function<void()>& before_update = {});

// The same step with the optimizer state sharded over the ranks (ddp.shard_optimizer, Note
// [ZeRO-1]): `reducer` was built with ReducerOptions::shard and `optimizer` over it.
StepStats train_step(models::Model& model, ddp::ShardedOptimizer& optimizer, ddp::GradReducer& reducer,
                     int64_t accumulation, const std::function<MicroBatch()>& next_batch, double clip_norm);

}  // namespace dpt::train
