#pragma once
// One optimizer step of data-parallel training, shared by the Trainer and the equivalence
// tests: A micro-batches of forward + backward (only the last one communicates), gradient
// averaging, clipping, optimizer step.
#include <ATen/core/Tensor.h>
#include <torch/optim/optimizer.h>

#include <functional>
#include <vector>

#include "comm/communicator.h"
#include "ddp/grad_reducer.h"
#include "ddp/sharded_optimizer.h"
#include "models/model.h"
#include "train/task.h"

namespace dpt::train {

// Where one step's time went, and its loss.
struct StepStats {
  double loss = 0;             // this rank's loss sum × world size / global items: the mean over
                               // ranks of this is the step's mean loss per item (sample or token)
  double grad_norm = 0;        // global L2 norm before clipping; 0 when clip_norm is 0 (not
                               // computed then: it would cost a host sync per step on a GPU)
  double data_wait_s = 0;      // inside next_batch()
  double forward_backward_s = 0;
  double comm_exposed_s = 0;   // waiting for gradient all-reduce after backward
  double optimizer_s = 0;      // clipping + optimizer step + zeroing
};

struct StepSetup {
  models::Model& model;
  const Task& task;
  torch::optim::Optimizer* optimizer;   // null when `sharded` updates the parameters
  ddp::GradReducer* reducer = nullptr;  // null: a single process
  comm::Communicator* comm = nullptr;   // null: a single process; else the reducer's ranks
  std::vector<at::Tensor> parameters;
  int64_t accumulation = 1;
  double clip_norm = 0;
  // ddp.shard_optimizer (Note [ZeRO-1]): the sharded optimizer over `reducer` (built with
  // ReducerOptions::shard); it clips, steps and all-gathers the parameters itself.
  ddp::ShardedOptimizer* sharded = nullptr;
  // Runs between the reduction and clipping (unsharded), e.g. to mask pruned gradients.
  std::function<void()> before_update;
};

// Runs one optimizer step over `accumulation` micro-batches drawn from `next_batch`. The
// gradient is that of the mean loss per item (sample or masked token) over the whole global
// batch (Note [Loss normalization] in step.cc). Every rank must call it in lockstep.
StepStats train_step(const StepSetup& setup, const std::function<MicroBatch()>& next_batch);

}  // namespace dpt::train
