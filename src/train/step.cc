#include "train/step.h"

#include <torch/nn/functional/loss.h>

#include <cmath>

#include "common/timer.h"
#include "common/trace.h"
#include "models/precision.h"
#include "optim/optimizer.h"

namespace dpt::train {
namespace {

int first_nonfinite_gradient(const std::vector<at::Tensor>& parameters) {
  for (size_t i = 0; i < parameters.size(); ++i) {
    const at::Tensor& grad = parameters[i].grad();
    if (grad.defined() && !at::isfinite(grad).all().item<bool>()) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

StepStats train_step(models::Model& model, torch::optim::Optimizer& optimizer, ddp::GradReducer* reducer,
                     const std::vector<at::Tensor>& parameters, int64_t accumulation,
                     const std::function<MicroBatch()>& next_batch, double clip_norm) {
  StepStats stats;
  double loss_sum = 0;
  at::Tensor loss_total;  // this rank's micro-batch losses, summed on the device
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
    loss_total = m == 0 ? loss.detach() : loss_total + loss.detach();
    if (reducer != nullptr && reducer->has_rank_flags() && m + 1 == accumulation) {
      // Before the backward that completes the last bucket (Note [Non-finite steps]).
      reducer->set_rank_flag(at::isfinite(loss_total).logical_not().to(at::kFloat));
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

  Stopwatch update;
  {
    DPT_TRACE_SPAN("optimizer", trace::kMainTrack);
    stats.grad_norm = optim::grad_norm(parameters);
    if (reducer != nullptr && reducer->has_rank_flags()) {
      stats.nonfinite_loss_ranks = reducer->flagged_ranks();
      stats.nonfinite = !stats.nonfinite_loss_ranks.empty();
    } else {
      stats.nonfinite = !std::isfinite(stats.loss);
    }
    stats.nonfinite = stats.nonfinite || !std::isfinite(stats.grad_norm);
    if (stats.nonfinite) {
      stats.first_nonfinite_grad = first_nonfinite_gradient(parameters);
    } else {
      optim::clip_grads(parameters, stats.grad_norm, clip_norm);
      optimizer.step();
    }
    optimizer.zero_grad();
  }
  stats.optimizer_s = update.seconds();
  return stats;
}

}  // namespace dpt::train
