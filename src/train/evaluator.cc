#include "train/evaluator.h"

#include <ATen/ATen.h>

#include <cmath>

#include "data/loader.h"
#include "metrics/metrics.h"

namespace dpt::train {

EvalResult evaluate(models::Model& model, const Task& task, const std::string& dir, const config::Config& config,
                    comm::Communicator& comm, const at::Device& device) {
  data::LoaderOptions options = data::loader_options_from_config(config, dir);
  options.mode = data::LoaderMode::kEval;
  options.plan.shuffle = false;
  options.rank = comm.rank();
  options.geometry = {config.get_int("eval.micro_batch") * comm.size(), config.get_int("eval.micro_batch"),
                      comm.size()};
  data::Loader loader(options);

  const bool was_training = model.is_training();
  model.eval();
  at::NoGradGuard no_grad;
  double loss_sum = 0, correct = 0, items = 0, samples = 0;
  while (auto batch = loader.next()) {
    const MicroBatch micro = task.prepare(*batch, device);
    const Outcome outcome = task.forward(model, micro);
    loss_sum += outcome.loss_sum.item<double>();
    correct += outcome.correct.item<double>();
    items += static_cast<double>(task.items(micro));
    samples += static_cast<double>(batch->valid);
  }
  model.train(was_training);
  const auto total = metrics::reduce({loss_sum, correct, items, samples}, comm, comm::ReduceOp::kSum);
  EvalResult result;
  result.items = static_cast<int64_t>(total[2] + 0.5);
  result.samples = static_cast<int64_t>(total[3] + 0.5);
  result.loss = total[2] > 0 ? total[0] / total[2] : 0;
  result.accuracy = total[2] > 0 ? total[1] / total[2] : 0;
  if (task.name() == "mlm") result.perplexity = std::exp(result.loss);
  return result;
}

}  // namespace dpt::train
