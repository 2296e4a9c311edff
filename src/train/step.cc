#include "train/step.h"

#include <ATen/ATen.h>

#include <cmath>

#include "common/timer.h"
#include "common/trace.h"
#include "metrics/metrics.h"
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

// The ranks whose `flag` is set, by one all-reduce of a flag per rank (Note [Non-finite steps],
// sharded case).
std::vector<int> flagged_by_allreduce(bool flag, comm::Communicator& comm) {
  std::vector<double> flags(static_cast<size_t>(comm.size()), 0.0);
  flags[static_cast<size_t>(comm.rank())] = flag ? 1.0 : 0.0;
  flags = metrics::reduce(flags, comm, comm::ReduceOp::kSum);
  std::vector<int> out;
  for (int r = 0; r < comm.size(); ++r) {
    if (flags[static_cast<size_t>(r)] != 0) out.push_back(r);
  }
  return out;
}

}  // namespace

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
  const bool flags = setup.reducer != nullptr && setup.reducer->has_rank_flags();

  Stopwatch compute;
  double loss_sum = 0;
  at::Tensor loss_total;  // this rank's micro-batch losses, summed on the device
  for (size_t m = 0; m < batches.size(); ++m) {
    const bool last = m + 1 == batches.size();
    if (setup.reducer != nullptr) setup.reducer->prepare_backward(/*sync=*/last);
    at::Tensor loss;
    {
      DPT_TRACE_SPAN("forward", trace::kMainTrack);
      // train.precision (Note [Mixed precision]): the forward pass and the loss under autocast.
      models::AutocastGuard autocast(batches[m].inputs.device().type(), setup.model.autocast_dtype());
      loss = setup.task.forward(setup.model, batches[m]).loss_sum;
    }
    loss_total = m == 0 ? loss.detach() : loss_total + loss.detach();
    if (flags && last) {
      // Before the backward that completes the last bucket (Note [Non-finite steps]).
      setup.reducer->set_rank_flag(at::isfinite(loss_total).logical_not().to(at::kFloat));
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
  stats.loss = loss_sum * scale;

  Stopwatch update;
  {
    DPT_TRACE_SPAN("optimizer", trace::kMainTrack);
    if (flags) {
      stats.nonfinite_loss_ranks = setup.reducer->flagged_ranks();
    } else if (setup.sharded != nullptr && setup.comm != nullptr) {
      stats.nonfinite_loss_ranks = flagged_by_allreduce(!std::isfinite(loss_sum), *setup.comm);
    } else if (!std::isfinite(loss_sum)) {
      stats.nonfinite_loss_ranks = {setup.comm != nullptr ? setup.comm->rank() : 0};
    }
    if (setup.sharded != nullptr) {
      stats.grad_norm = setup.sharded->grad_norm();
      stats.nonfinite = !stats.nonfinite_loss_ranks.empty() || !std::isfinite(stats.grad_norm);
      if (!stats.nonfinite) setup.sharded->step(stats.grad_norm, setup.clip_norm);  // all-gathers too
      setup.sharded->zero_grad();
    } else {
      stats.grad_norm = optim::grad_norm(setup.parameters);
      stats.nonfinite = !stats.nonfinite_loss_ranks.empty() || !std::isfinite(stats.grad_norm);
      if (stats.nonfinite) {
        stats.first_nonfinite_grad = first_nonfinite_gradient(setup.parameters);
      } else {
        if (setup.before_update) setup.before_update();
        std::vector<at::Tensor> grads;
        for (const auto& p : setup.parameters) {
          if (p.grad().defined()) grads.push_back(p.grad());
        }
        optim::clip_to_norm(grads, stats.grad_norm, setup.clip_norm);
        setup.optimizer->step();
      }
      setup.optimizer->zero_grad();
    }
  }
  stats.optimizer_s = update.seconds();
  return stats;
}

}  // namespace dpt::train
