#include "optim/optimizer.h"

#include <ATen/ATen.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>

#include <cmath>

#include "common/error.h"

namespace dpt::optim {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const config::Config& config,
                                                        const std::vector<at::Tensor>& parameters) {
  const std::string& name = config.get_string("optim.name");
  const double lr = config.get_double("optim.lr");
  const double wd = config.get_double("optim.weight_decay");
  if (name == "sgd") {
    const double momentum = config.get_double("optim.momentum");
    const bool nesterov = config.get_bool("optim.nesterov");
    DPT_CHECK(!nesterov || momentum > 0, ConfigError, "optim.nesterov=true needs optim.momentum > 0");
    return std::make_unique<torch::optim::SGD>(
        parameters, torch::optim::SGDOptions(lr).momentum(momentum).nesterov(nesterov).weight_decay(wd));
  }
  const auto betas = std::make_tuple(config.get_double("optim.beta1"), config.get_double("optim.beta2"));
  const double eps = config.get_double("optim.eps");
  if (name == "adam") {
    return std::make_unique<torch::optim::Adam>(
        parameters, torch::optim::AdamOptions(lr).betas(betas).eps(eps).weight_decay(wd));
  }
  if (name == "adamw") {
    return std::make_unique<torch::optim::AdamW>(
        parameters, torch::optim::AdamWOptions(lr).betas(betas).eps(eps).weight_decay(wd));
  }
  DPT_THROW(ConfigError, "optim.name='" << name << "' is not an optimizer; known: sgd, adam, adamw");
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

LrSchedule::LrSchedule(const config::Config& config, int64_t total_steps)
    : peak_(config.get_double("optim.lr")),
      floor_(config.get_double("optim.lr") * config.get_double("optim.min_lr_ratio")),
      warmup_(config.get_int("optim.warmup_steps")),
      total_(std::max<int64_t>(1, total_steps)),
      kind_(config.get_string("optim.schedule")) {}

double LrSchedule::at(int64_t step) const {
  if (step < warmup_) return peak_ * static_cast<double>(step + 1) / static_cast<double>(warmup_);
  if (kind_ == "constant") return peak_;
  const int64_t span = std::max<int64_t>(1, total_ - warmup_ - 1);
  const double progress = std::min(1.0, static_cast<double>(step - warmup_) / static_cast<double>(span));
  if (kind_ == "linear") return peak_ + (floor_ - peak_) * progress;
  return floor_ + (peak_ - floor_) * 0.5 * (1.0 + std::cos(M_PI * progress));  // cosine
}

double grad_norm(const std::vector<at::Tensor>& parameters) {
  // One host sync for the whole model: per-tensor norms are stacked on the device first.
  std::vector<at::Tensor> norms;
  for (const auto& p : parameters) {
    if (p.grad().defined()) norms.push_back(p.grad().detach().to(at::kDouble).norm());
  }
  if (norms.empty()) return 0.0;
  return at::stack(norms).norm().item<double>();
}

void clip_to_norm(const std::vector<at::Tensor>& grads, double norm, double max_norm) {
  if (max_norm <= 0 || norm <= max_norm) return;
  const double scale = max_norm / (norm + 1e-6);
  for (const auto& g : grads) g.mul_(scale);
}

}  // namespace dpt::optim
