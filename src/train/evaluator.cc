#include "train/evaluator.h"

#include <ATen/ATen.h>
#include <torch/nn/functional/loss.h>

#include "data/loader.h"
#include "metrics/metrics.h"

namespace dpt::train {

EvalResult evaluate(models::Model& model, const std::string& dir, const config::Config& config,
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
  double loss_sum = 0, correct = 0, count = 0;
  while (auto batch = loader.next()) {
    const at::Tensor mask = batch->mask.to(device);
    const at::Tensor labels = batch->label.to(device);
    const at::Tensor logits = model.forward(batch->input_on(device));
    const at::Tensor losses = torch::nn::functional::cross_entropy(
        logits, labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
    loss_sum += (losses * mask).sum().item<double>();
    correct += (logits.argmax(1).eq(labels).to(at::kFloat) * mask).sum().item<double>();
    count += mask.sum().item<double>();
  }
  model.train(was_training);
  const auto total = metrics::reduce({loss_sum, correct, count}, comm, comm::ReduceOp::kSum);
  EvalResult result;
  result.samples = static_cast<int64_t>(total[2] + 0.5);
  result.loss = total[2] > 0 ? total[0] / total[2] : 0;
  result.accuracy = total[2] > 0 ? total[1] / total[2] : 0;
  return result;
}

}  // namespace dpt::train
