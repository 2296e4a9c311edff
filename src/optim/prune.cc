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
                                 PruneSchedule schedule, const PruneStructure& structure)
    : schedule_(schedule) {
  std::vector<bool> masked(params.size(), false);
  if (structure.any()) {
    units_ = find_units(names, params, structure);
    for (const UnitSet& set : units_) {
      for (const UnitMember& m : set.members) masked[m.param] = true;
    }
  } else {
    for (size_t i = 0; i < params.size(); ++i) {  // Note [Gradual pruning]: weight matrices, embeddings on request
      masked[i] = params[i].dim() >= 2 && (structure.embeddings || names[i].find("embeddings.") == std::string::npos);
    }
  }
  std::vector<size_t> slot(params.size());  // model parameter → index in params_
  for (size_t i = 0; i < params.size(); ++i) {
    if (!masked[i]) continue;
    slot[i] = params_.size();
    names_.push_back(names[i]);
    params_.push_back(params[i]);
    masks_.push_back(at::ones(params[i].sizes(), params[i].options().dtype(at::kByte)));
  }
  for (UnitSet& set : units_) {
    for (UnitMember& m : set.members) m.param = slot[m.param];
  }
  DPT_CHECK(!params_.empty(), ConfigError, "prune.sparsity > 0, but the model has no weight matrices to prune");
}

void MagnitudePruner::update_masks(double target) {
  if (!units_.empty()) {
    update_units(UnitKind::kHead, target);
    update_units(UnitKind::kNeuron, target);
    return;
  }
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

// Note [Structured pruning]: the k = floor(target · units) units of `kind` with the smallest L2
// norm over all layers are removed; removed units score -1, so they stay removed.
void MagnitudePruner::update_units(UnitKind kind, double target) {
  std::vector<const UnitSet*> sets;
  std::vector<at::Tensor> scores;
  for (const UnitSet& set : units_) {
    if (set.kind != kind) continue;
    const UnitMember& first = set.members[0];
    at::Tensor squares = at::zeros({set.count}, params_[first.param].options().dtype(at::kDouble));
    for (const UnitMember& m : set.members) {
      squares += by_unit(params_[m.param].detach(), m.dim, set.count).to(at::kDouble).pow(2).sum(1);
    }
    const at::Tensor removed = by_unit(masks_[first.param], first.dim, set.count).sum(1).eq(0);
    scores.push_back(at::where(removed, at::full({}, -1.0, squares.options()), squares.sqrt()));
    sets.push_back(&set);
  }
  if (sets.empty()) return;
  const at::Tensor all = at::cat(scores);
  const int64_t k = static_cast<int64_t>(std::floor(target * static_cast<double>(all.numel())));
  if (k == 0) return;
  // A stable sort: equal scores are taken in layer order, the same on every rank.
  const at::Tensor order = std::get<1>(at::sort(all, /*stable=*/true, /*dim=*/0, /*descending=*/false));
  at::Tensor keep = at::ones({all.numel()}, masks_[sets[0]->members[0].param].options());
  keep.index_fill_(0, order.narrow(0, 0, k), 0);
  int64_t offset = 0;
  for (const UnitSet* set : sets) {
    const at::Tensor kept = keep.narrow(0, offset, set->count);
    for (const UnitMember& m : set->members) mask_units(masks_[m.param], m.dim, kept);
    offset += set->count;
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

std::vector<LayerUnits> MagnitudePruner::removed_units() const {
  std::vector<LayerUnits> out;
  for (const UnitSet& set : units_) {
    const UnitMember& first = set.members[0];
    const int64_t removed = by_unit(masks_[first.param], first.dim, set.count).sum(1).eq(0).sum().item<int64_t>();
    out.push_back({set.layer, set.kind, removed, set.count});
  }
  return out;
}

}  // namespace dpt::optim
