#include "train/step.h"

#include "common/timer.h"
#include "common/trace.h"
#include "metrics/metrics.h"
#include "models/precision.h"
#include "optim/optimizer.h"

namespace dpt::train {

// Note [Loss normalization]
// The step's gradient must be that of (sum of every item's loss) / N, with N the items of the
// whole global batch over all ranks and micro-batches. The reducer averages over the W ranks,
// so each micro-batch back-propagates its loss sum × W / N. For classification N = W × (this
// rank's items), the same on every rank: no communication (and sum × W / N is the old mean /
// accumulation). For mlm the masked-token count differs between micro-batches and ranks, so
// the step first draws all its micro-batches, counts locally and all-reduces the count (one
// 8-byte reduction per step) before the first backward. Averaging each micro-batch's mean
// instead would weight a token of a sparsely masked micro-batch more than one of a dense one,
// and the result would depend on how the batch is split.
StepStats train_step(const StepSetup& setup, const std::function<MicroBatch()>& next_batch) {
  StepStats stats;
  std::vector<MicroBatch> batches;
  {
    Stopwatch data;
    DPT_TRACE_SPAN("data wait", trace::kMainTrack);
    for (int64_t m = 0; m < setup.accumulation; ++m) batches.push_back(next_batch());
    stats.data_wait_s = data.seconds();
  }
  double items = 0;
  for (const auto& batch : batches) items += static_cast<double>(setup.task.items(batch));
  const double world = setup.comm != nullptr ? setup.comm->size() : 1;
  const double global_items = setup.task.items_vary() && setup.comm != nullptr
                                  ? metrics::reduce({items}, *setup.comm, comm::ReduceOp::kSum)[0]
                                  : items * world;
  const double scale = global_items > 0 ? world / global_items : 0.0;

  Stopwatch compute;
  double loss_sum = 0;
  for (size_t m = 0; m < batches.size(); ++m) {
    if (setup.reducer != nullptr) setup.reducer->prepare_backward(/*sync=*/m + 1 == batches.size());
    at::Tensor loss;
    {
      DPT_TRACE_SPAN("forward", trace::kMainTrack);
      // train.precision (Note [Mixed precision]): the forward pass and the loss under autocast.
      models::AutocastGuard autocast(batches[m].inputs.device().type(), setup.model.autocast_dtype());
      loss = setup.task.forward(setup.model, batches[m]).loss_sum;
    }
    {
      DPT_TRACE_SPAN("backward", trace::kMainTrack);
      loss.mul(scale).backward();
    }
    loss_sum += loss.item<double>();
  }
  stats.forward_backward_s = compute.seconds();
  if (setup.reducer != nullptr) {
    DPT_TRACE_SPAN("gradient wait", trace::kMainTrack);
    stats.comm_exposed_s = setup.reducer->finalize();
  }

  Stopwatch update;
  {
    DPT_TRACE_SPAN("optimizer", trace::kMainTrack);
    if (setup.sharded != nullptr) {
      stats.grad_norm = setup.sharded->step(setup.clip_norm);  // includes the parameters' all-gather
      setup.sharded->zero_grad();
    } else {
      if (setup.before_update) setup.before_update();
      if (setup.clip_norm > 0) stats.grad_norm = optim::clip_grad_norm(setup.parameters, setup.clip_norm);
      setup.optimizer->step();
      setup.optimizer->zero_grad();
    }
  }
  stats.optimizer_s = update.seconds();
  stats.loss = loss_sum * scale;
  return stats;
}

}  // namespace dpt::train
