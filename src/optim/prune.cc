#include "optim/prune.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace dpt::optim {

double PruneSchedule::at(int64_t steps_done) const {
  if (sparsity <= 0 || steps_done < start) return 0;
  const double p = std::min(1.0, static_cast<double>(steps_done - start) / static_cast<double>(std::max<int64_t>(1, end - start)));
  return sparsity * (1.0 - std::pow(1.0 - p, 3));
}

PruneSchedule prune_schedule(const config::Config& config, int64_t total_steps) {
  PruneSchedule s;
  s.sparsity = config.get_double("prune.sparsity");
  s.start = config.get_int("prune.start_step");
  s.end = config.get_int("prune.end_step");
  s.every = config.get_int("prune.every_steps");
  if (s.sparsity <= 0) return s;
  DPT_CHECK(s.sparsity < 1, ConfigError, "prune.sparsity=" << s.sparsity << " must be below 1 (a fraction of the weights)");
  if (s.end == 0) s.end = s.start + std::max<int64_t>(1, (total_steps - s.start) * 3 / 4);
  DPT_CHECK(s.start < s.end && s.end <= total_steps, ConfigError,
            "prune.start_step=" << s.start << " and prune.end_step=" << s.end << " must satisfy start < end <= "
                                << total_steps << " (the run's steps)");
  return s;
}

MagnitudePruner::MagnitudePruner(const std::vector<std::string>& names, const std::vector<at::Tensor>& params,
                                 PruneSchedule schedule)
    : schedule_(schedule) {
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].dim() < 2) continue;  // Note [Gradual pruning]: weights only
    names_.push_back(names[i]);
    params_.push_back(params[i]);
    masks_.push_back(at::ones(params[i].sizes(), params[i].options().dtype(at::kByte)));
  }
  DPT_CHECK(!params_.empty(), ConfigError, "prune.sparsity > 0, but the model has no weight matrices to prune");
}

void MagnitudePruner::update_masks(double target) {
  std::vector<at::Tensor> magnitudes;
  for (size_t i = 0; i < params_.size(); ++i) {
    // Masked weights count as -1: always among the smallest, so masks only grow.
    magnitudes.push_back(at::where(masks_[i].to(at::kBool), params_[i].detach().abs(), at::full({}, -1.0, params_[i].options())).reshape({-1}));
  }
  const at::Tensor all = at::cat(magnitudes);
  const int64_t k = static_cast<int64_t>(std::floor(target * static_cast<double>(all.numel())));
  if (k == 0) return;
  const double threshold = std::get<0>(all.kthvalue(k)).item<double>();
  for (size_t i = 0; i < params_.size(); ++i) {
    masks_[i].mul_(magnitudes[i].view(params_[i].sizes()).gt(threshold).to(at::kByte));
  }
}

void MagnitudePruner::apply() {
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) params_[i].mul_(masks_[i]);
}

void MagnitudePruner::after_step(int64_t steps_done) {
  if (schedule_.sparsity <= 0 || steps_done < schedule_.start) return;
  const bool due = steps_done <= schedule_.end && ((steps_done - schedule_.start) % schedule_.every == 0 || steps_done == schedule_.end);
  if (due) update_masks(schedule_.at(steps_done));
  apply();
}

void MagnitudePruner::mask_gradients() {
  for (size_t i = 0; i < params_.size(); ++i) {
    if (params_[i].grad().defined()) params_[i].mutable_grad().mul_(masks_[i]);
  }
}

void MagnitudePruner::set_mask(size_t i, const at::Tensor& mask) {
  masks_[i].copy_(mask);
  at::NoGradGuard no_grad;
  params_[i].mul_(masks_[i]);
}

std::vector<LayerSparsity> MagnitudePruner::sparsity() const {
  std::vector<LayerSparsity> out;
  LayerSparsity total{"total"};
  for (size_t i = 0; i < params_.size(); ++i) {
    const int64_t zeros = params_[i].detach().eq(0).sum().item<int64_t>();
    out.push_back({names_[i], zeros, params_[i].numel()});
    total.zeros += zeros;
    total.numel += params_[i].numel();
  }
  out.push_back(total);
  return out;
}

}  // namespace dpt::optim
