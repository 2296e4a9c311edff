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
  double grad_norm = 0;        // global L2 norm of the averaged gradients, before clipping
  // Note [Non-finite steps]: the loss of some rank, or the averaged gradient, was NaN/Inf. The
  // optimizer step was not taken (gradients zeroed); the decision is the same on every rank.
  bool nonfinite = false;
  std::vector<int> nonfinite_loss_ranks;  // ranks whose loss was NaN/Inf
  int first_nonfinite_grad = -1;          // index into `parameters` (unsharded), or -1
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
//
// Note [Non-finite steps]
// A NaN/Inf loss on any rank is seen by every rank: each rank's "my loss is not finite" flag
// rides along the last gradient bucket (Note [Rank flags]; sharded: one small all-reduce of
// the flags, since a reduce-scatter hands each rank only its block; without a reducer the
// local loss decides). A non-finite gradient needs no flag: averaging spreads it to every
// rank's copy, and the global gradient norm (computed every step, before clipping) is then
// NaN/Inf everywhere. Either way the step skips the optimizer update and reports it in
// StepStats; the caller decides to stop or go on.
StepStats train_step(const StepSetup& setup, const std::function<MicroBatch()>& next_batch);

}  // namespace dpt::train
