#pragma once
// The units of structured pruning (prune.structure): the attention heads and feed-forward
// neurons of the bert encoder, found in the model's parameters by their Hugging Face names.
//
// Note [Structured pruning]
// A head h of layer i (width d = hidden / heads) is the rows [h·d, (h+1)·d) of
// attention.self.{query,key,value}.weight and .bias and the same columns of
// attention.output.dense.weight. A neuron j of layer i is row j of intermediate.dense.weight and
// .bias and column j of output.dense.weight. Removing a unit zeroes all of these: its values are
// 0, so its attention probabilities multiply zeros (the head's context is exactly 0) and GELU(0)
// = 0 (the neuron's activation is exactly 0), and its columns of the output projections are 0 —
// the layer computes exactly what a layer without the unit computes (attention.output.dense.bias
// and output.dense.bias are shared by all units and stay). The score of a unit is the L2 norm
// of all these weights and biases together; units are ranked globally, heads against the heads
// of every layer and neurons against the neurons of every layer, so a layer may lose more
// units than another (or all of its units). The masks are the ordinary pruning masks of those
// tensors (optim/prune.h): zeroed once per unit, kept through steps and checkpoints.
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "config/config.h"

namespace dpt::optim {

enum class UnitKind { kHead, kNeuron };

// What prune.structure asks for.
struct PruneStructure {
  bool heads = false;
  bool neurons = false;
  int64_t attention_heads = 0;  // model.heads: the heads per layer
  bool embeddings = false;      // prune.embeddings: single-weight pruning includes embedding tables
  bool any() const { return heads || neurons; }
};

// prune.structure of `config`. Throws ConfigError when units are asked of a model that is not
// bert, or without prune.sparsity (the fraction of units to remove).
PruneStructure prune_structure(const config::Config& config);

// One member tensor of a layer's units: the units are `count` consecutive blocks of equal width
// along dimension `dim` of params[param].
struct UnitMember {
  size_t param = 0;
  int64_t dim = 0;
};

// The heads or the neurons of one encoder layer.
struct UnitSet {
  std::string layer;  // "bert.encoder.layer.0"
  UnitKind kind = UnitKind::kHead;
  int64_t count = 0;
  std::vector<UnitMember> members;
};

// The unit sets asked for in `structure`, layer by layer (heads before neurons), from the named
// parameters of a bert model. Throws ConfigError when the names or shapes are not bert's.
std::vector<UnitSet> find_units(const std::vector<std::string>& names, const std::vector<at::Tensor>& params,
                                const PruneStructure& structure);

// `t` with dimension `dim` cut into `count` units: [count, everything else of a unit].
at::Tensor by_unit(const at::Tensor& t, int64_t dim, int64_t count);

// Multiplies `mask` by `keep` (uint8 [count], 1 = kept), repeated over each unit's block of `dim`.
void mask_units(at::Tensor& mask, int64_t dim, const at::Tensor& keep);

}  // namespace dpt::optim
