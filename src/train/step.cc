#include "train/step.h"

#include <torch/nn/functional/loss.h>

#include "common/timer.h"
#include "common/trace.h"
#include "models/precision.h"
#include "optim/optimizer.h"

namespace dpt::train {

namespace {

// The forward and backward passes of one optimizer step, up to the reduced gradients.
StepStats forward_backward(models::Model& model, ddp::GradReducer* reducer, int64_t accumulation,
                           const std::function<MicroBatch()>& next_batch) {
  StepStats stats;
  double loss_sum = 0;
  for (int64_t m = 0; m < accumulation; ++m) {
    Stopwatch data;
    MicroBatch batch;
    {
      DPT_TRACE_SPAN("data wait", trace::kMainTrack);
      batch = next_batch();
    }
    stats.data_wait_s += data.seconds();

    Stopwatch compute;
    if (reducer != nullptr) reducer->prepare_backward(/*sync=*/m + 1 == accumulation);
    at::Tensor loss;
    {
      DPT_TRACE_SPAN("forward", trace::kMainTrack);
      // train.precision (Note [Mixed precision]): the forward pass and the loss under autocast.
      models::AutocastGuard autocast(batch.inputs.device().type(), model.autocast_dtype());
      loss = torch::nn::functional::cross_entropy(model.forward(batch.inputs), batch.labels);
    }
    {
      DPT_TRACE_SPAN("backward", trace::kMainTrack);
      loss.div(static_cast<double>(accumulation)).backward();
    }
    loss_sum += loss.item<double>();
    stats.forward_backward_s += compute.seconds();
  }
  if (reducer != nullptr) {
    DPT_TRACE_SPAN("gradient wait", trace::kMainTrack);
    stats.comm_exposed_s = reducer->finalize();
  }
  stats.loss = loss_sum / static_cast<double>(accumulation);
  return stats;
}

}  // namespace

StepStats train_step(models::Model& model, torch::optim::Optimizer& optimizer, ddp::GradReducer* reducer,
                     const std::vector<at::Tensor>& parameters, int64_t accumulation,
                     const std::function<MicroBatch()>& next_batch, double clip_norm,
                     const std::function<void()>& before_update) {
  StepStats stats = forward_backward(model, reducer, accumulation, next_batch);
  Stopwatch update;
  {
    DPT_TRACE_SPAN("optimizer", trace::kMainTrack);
    if (before_update) before_update();
    if (clip_norm > 0) stats.grad_norm = optim::clip_grad_norm(parameters, clip_norm);
    optimizer.step();
    optimizer.zero_grad();
  }
  stats.optimizer_s = update.seconds();
  return stats;
}

StepStats train_step(models::Model& model, ddp::ShardedOptimizer& optimizer, ddp::GradReducer& reducer,
                     int64_t accumulation, const std::function<MicroBatch()>& next_batch, double clip_norm) {
  StepStats stats = forward_backward(model, &reducer, accumulation, next_batch);
  Stopwatch update;
  {
    DPT_TRACE_SPAN("optimizer", trace::kMainTrack);
    stats.grad_norm = optimizer.step(clip_norm);  // includes the parameters' all-gather
    optimizer.zero_grad();
  }
  stats.optimizer_s = update.seconds();
  return stats;
}

}  // namespace dpt::train
