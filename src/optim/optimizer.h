#pragma once
// Optimizers, learning-rate schedules and gradient clipping, configured from [optim].
#include <torch/optim/optimizer.h>

#include <memory>

#include "config/config.h"

namespace dpt::optim {

// Builds optim.name (sgd | adam | adamw) over `parameters` with the [optim] settings.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const config::Config& config,
                                                        const std::vector<at::Tensor>& parameters);

// Sets the learning rate of every parameter group.
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

// Learning rate at optimizer step `step` (0-based) of `total_steps`: linear warm-up from 0 to
// optim.lr over optim.warmup_steps, then constant, or cosine / linear decay to
// optim.lr × optim.min_lr_ratio at the last step.
class LrSchedule {
 public:
  LrSchedule(const config::Config& config, int64_t total_steps);
  double at(int64_t step) const;

 private:
  double peak_;
  double floor_;
  int64_t warmup_;
  int64_t total_;
  std::string kind_;
};

// The global L2 norm of the gradients of `parameters` (computed in float64; one host sync).
double grad_norm(const std::vector<at::Tensor>& parameters);
// Clipping: multiplies `grads` by max_norm / (norm + 1e-6) when 0 < max_norm < norm, `norm`
// being their global L2 norm (grad_norm, or the sharded optimizer's reduced norm).
void clip_to_norm(const std::vector<at::Tensor>& grads, double norm, double max_norm);

}  // namespace dpt::optim
