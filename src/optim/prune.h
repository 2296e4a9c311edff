#pragma once
// Global magnitude pruning with a gradual (cubic) schedule ([prune] options).
//
// Note [Gradual pruning]
// The prunable tensors are the weights with two or more dimensions (Linear, Conv); embedding
// tables (names with "embeddings.", bert's) only with prune.embeddings, since pruning studies
// of BERT prune the encoder and leave the embeddings (a rare token's row is small because it
// was rarely trained, not because it does not matter); biases and normalization weights never. After optimizer step t (counted from 1) the
// target sparsity is Zhu & Gupta's cubic schedule
//   s(t) = s_f · (1 − (1 − p)^3),  p = clamp((t − start) / (end − start), 0, 1),
// reached at `end` and held after. Every `every` steps inside the schedule (and at `end`) the
// masks are recomputed: the k = floor(s(t) · N) weights of smallest magnitude over all prunable
// tensors together (N elements) are masked, on top of the weights masked before (masks only
// grow). After every step the masked weights are set to zero again, and before the update their
// gradients are zeroed (without ddp.shard_optimizer), so they stay zero for good. Every rank
// holds the same weights, so every rank computes the same masks with no communication.
// With prune.structure the masked units are whole attention heads / feed-forward neurons of the
// bert model instead of single weights (Note [Structured pruning], optim/prune_units.h); the
// schedule, the masks and their life through steps and checkpoints are the same.
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "config/config.h"
#include "optim/prune_units.h"

namespace dpt::optim {

struct PruneSchedule {
  double sparsity = 0;     // s_f; 0 = pruning off
  int64_t start = 0;       // steps completed when pruning begins
  int64_t end = 0;         // steps completed when s_f is reached
  int64_t every = 10;      // mask updates every N steps in between
  double at(int64_t steps_done) const;  // s(t)
};

// [prune] of `config` for a run of `total_steps` (prune.end_step 0 = three quarters of the way
// from prune.start_step to the end). Throws ConfigError for an inconsistent schedule.
PruneSchedule prune_schedule(const config::Config& config, int64_t total_steps);

struct LayerSparsity {
  std::string name;
  int64_t zeros = 0;
  int64_t numel = 0;
};

// Structured pruning: how many of a layer's heads or neurons are removed.
struct LayerUnits {
  std::string layer;
  UnitKind kind = UnitKind::kHead;
  int64_t removed = 0;
  int64_t count = 0;
};

class MagnitudePruner {
 public:
  // `names` / `params`: the model's named parameters; the prunable ones are picked out: the
  // weight matrices, or with `structure.any()` the tensors holding the heads / neurons.
  MagnitudePruner(const std::vector<std::string>& names, const std::vector<at::Tensor>& params, PruneSchedule schedule,
                  const PruneStructure& structure = {});

  // After optimizer step `steps_done`: recomputes the masks when due, then zeroes the masked weights.
  void after_step(int64_t steps_done);
  // Zeroes the gradients of the masked weights (call between the reduction and the update).
  void mask_gradients();

  // The masked parameters' names and their masks (uint8, 1 = kept), for checkpoints.
  const std::vector<std::string>& names() const { return names_; }
  const std::vector<at::Tensor>& masks() const { return masks_; }
  // Replaces mask i (a resumed run) and zeroes the weights it masks.
  void set_mask(size_t i, const at::Tensor& mask);

  // Zeros per prunable parameter, and the total over them, now.
  std::vector<LayerSparsity> sparsity() const;
  // Structured pruning: removed heads / neurons per layer, now (empty without prune.structure).
  std::vector<LayerUnits> removed_units() const;

 private:
  void update_masks(double target);
  void update_units(UnitKind kind, double target);
  void apply();

  PruneSchedule schedule_;
  std::vector<std::string> names_;
  std::vector<at::Tensor> params_;
  std::vector<at::Tensor> masks_;
  std::vector<UnitSet> units_;  // structured pruning; UnitMember::param indexes params_
};

}  // namespace dpt::optim
