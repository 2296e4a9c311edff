// Note [Structured pruning] on a real bert model: prune.structure from the config (and its
// errors), the units found by name, the documented score (L2 norm, global over layers), masks
// that remove whole units and only grow, and an encoder layer with removed heads and neurons
// computing exactly what a layer built without them computes.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "common/error.h"
#include "models/bert.h"
#include "optim/prune.h"

namespace dpt::optim {
namespace {

constexpr int64_t kHidden = 16, kHeads = 4, kWidth = kHidden / kHeads, kFfn = 32, kLayers = 2;

config::Config bert_config() {
  config::Config cfg;
  cfg.set("model.type", "bert");
  cfg.set("model.hidden", std::to_string(kHidden));
  cfg.set("model.layers", std::to_string(kLayers));
  cfg.set("model.heads", std::to_string(kHeads));
  cfg.set("model.ffn", std::to_string(kFfn));
  cfg.set("model.max_len", "16");
  cfg.set("model.dropout", "0");
  cfg.set("train.seed", "5");
  return cfg;
}

struct Named {
  std::shared_ptr<models::Model> model;
  std::vector<std::string> names;
  std::vector<at::Tensor> params;
  at::Tensor& operator[](const std::string& name) {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == name) return params[i];
    }
    throw std::runtime_error("no parameter " + name);
  }
};

Named make_bert() {
  Named out;
  out.model = models::make_model(bert_config(), models::InputSpec{{8}, 3, 50, 0});
  out.model->eval();
  for (const auto& item : out.model->named_parameters()) {
    out.names.push_back(item.key());
    out.params.push_back(item.value());
  }
  // Non-zero biases, so that a bias left out of a unit's mask would show.
  at::NoGradGuard no_grad;
  for (auto& p : out.params) {
    if (p.dim() == 1) p.normal_(0, 0.02);
  }
  return out;
}

std::string layer(int64_t i) { return "bert.encoder.layer." + std::to_string(i) + "."; }

PruneStructure both() { return PruneStructure{true, true, kHeads}; }

// One removal to `sparsity` at step 1.
PruneSchedule at_once(double sparsity) { return PruneSchedule{sparsity, 0, 1, 1}; }

// The heads of layer i that are removed (query rows all zero), read from the weights.
std::set<int64_t> removed_heads(Named& m, int64_t i) {
  std::set<int64_t> out;
  for (int64_t h = 0; h < kHeads; ++h) {
    if (m[layer(i) + "attention.self.query.weight"].narrow(0, h * kWidth, kWidth).eq(0).all().item<bool>()) out.insert(h);
  }
  return out;
}

TEST(PruneStructure, FromConfigAndErrors) {
  config::Config cfg = bert_config();
  cfg.set("prune.sparsity", "0.5");
  EXPECT_FALSE(prune_structure(cfg).any());  // default: none
  cfg.set("prune.structure", "heads");
  PruneStructure s = prune_structure(cfg);
  EXPECT_TRUE(s.heads && !s.neurons && s.attention_heads == kHeads);
  cfg.set("prune.structure", "both");
  s = prune_structure(cfg);
  EXPECT_TRUE(s.heads && s.neurons);
  cfg.set("prune.sparsity", "0");
  EXPECT_THROW(prune_structure(cfg), ConfigError);  // nothing to remove
  cfg.set("prune.sparsity", "0.5");
  cfg.set("model.type", "cnn");
  try {
    prune_structure(cfg);
    FAIL() << "structured pruning of a cnn was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("prune.structure=none"), std::string::npos) << e.what();
  }
  EXPECT_THROW(cfg.set("prune.structure", "rows"), ConfigError);
}

TEST(PruneUnits, FoundByNameWithTheirTensors) {
  Named m = make_bert();
  const auto sets = find_units(m.names, m.params, both());
  ASSERT_EQ(sets.size(), 4u);  // per layer: heads, neurons
  EXPECT_EQ(sets[0].layer, "bert.encoder.layer.0");
  EXPECT_EQ(sets[0].kind, UnitKind::kHead);
  EXPECT_EQ(sets[0].count, kHeads);
  EXPECT_EQ(sets[0].members.size(), 7u);  // q, k, v weight + bias, attention.output.dense.weight
  EXPECT_EQ(m.names[sets[0].members.back().param], layer(0) + "attention.output.dense.weight");
  EXPECT_EQ(sets[0].members.back().dim, 1);
  EXPECT_EQ(sets[3].layer, "bert.encoder.layer.1");
  EXPECT_EQ(sets[3].kind, UnitKind::kNeuron);
  EXPECT_EQ(sets[3].count, kFfn);
  EXPECT_EQ(m.names[sets[3].members[2].param], layer(1) + "output.dense.weight");
  EXPECT_EQ(find_units(m.names, m.params, PruneStructure{false, true, kHeads}).size(), 2u);
  // A model without bert's names.
  EXPECT_THROW(find_units({"fc.weight"}, {at::zeros({4, 4})}, both()), ConfigError);
}

TEST(PruneUnits, HeadsRankedByL2NormOverAllLayers) {
  Named m = make_bert();
  {  // Shrink heads 0 and 2 of layer 0 and heads 1 and 3 of layer 1: those four go at 50%.
    at::NoGradGuard no_grad;
    for (const auto& [i, h] : std::vector<std::pair<int64_t, int64_t>>{{0, 0}, {0, 2}, {1, 1}, {1, 3}}) {
      for (const char* part : {"query", "key", "value"}) {
        m[layer(i) + "attention.self." + part + ".weight"].narrow(0, h * kWidth, kWidth).mul_(0.1);
        m[layer(i) + "attention.self." + part + ".bias"].narrow(0, h * kWidth, kWidth).mul_(0.1);
      }
      m[layer(i) + "attention.output.dense.weight"].narrow(1, h * kWidth, kWidth).mul_(0.1);
    }
  }
  MagnitudePruner pruner(m.names, m.params, at_once(0.5), PruneStructure{true, false, kHeads});
  pruner.after_step(1);
  EXPECT_EQ(removed_heads(m, 0), (std::set<int64_t>{0, 2}));
  EXPECT_EQ(removed_heads(m, 1), (std::set<int64_t>{1, 3}));
  const auto report = pruner.removed_units();
  ASSERT_EQ(report.size(), 2u);
  EXPECT_EQ(report[0].removed, 2);
  EXPECT_EQ(report[1].count, kHeads);
  // Only the heads' tensors carry masks (7 per layer); the FFN is untouched.
  EXPECT_EQ(pruner.names().size(), 7u * kLayers);
  EXPECT_EQ(m[layer(0) + "intermediate.dense.weight"].eq(0).sum().item<int64_t>(), 0);
}

TEST(PruneUnits, NeuronsRankedByL2NormOverAllLayers) {
  Named m = make_bert();
  {  // Layer 1's neurons are 3x smaller than layer 0's on average: global ranking takes more there.
    at::NoGradGuard no_grad;
    m[layer(1) + "intermediate.dense.weight"].mul_(0.3);
    m[layer(1) + "output.dense.weight"].mul_(0.3);
  }
  // The documented score, computed here from the weights: |row of W_in, b_in, column of W_out|.
  std::vector<std::pair<double, int64_t>> scores;  // (norm, layer * kFfn + neuron)
  for (int64_t i = 0; i < kLayers; ++i) {
    const at::Tensor sq = m[layer(i) + "intermediate.dense.weight"].detach().pow(2).sum(1) +
                          m[layer(i) + "intermediate.dense.bias"].detach().pow(2) +
                          m[layer(i) + "output.dense.weight"].detach().pow(2).sum(0);
    for (int64_t j = 0; j < kFfn; ++j) scores.push_back({std::sqrt(sq[j].item<double>()), i * kFfn + j});
  }
  std::sort(scores.begin(), scores.end());
  std::set<int64_t> expected;
  for (int64_t n = 0; n < kFfn * kLayers * 3 / 8; ++n) expected.insert(scores[n].second);  // 24 of 64

  MagnitudePruner pruner(m.names, m.params, at_once(0.375), PruneStructure{false, true, kHeads});
  pruner.after_step(1);
  std::set<int64_t> removed;
  for (int64_t i = 0; i < kLayers; ++i) {
    const at::Tensor w = m[layer(i) + "intermediate.dense.weight"];
    for (int64_t j = 0; j < kFfn; ++j) {
      if (w[j].eq(0).all().item<bool>()) removed.insert(i * kFfn + j);
    }
  }
  EXPECT_EQ(removed, expected);
  const auto report = pruner.removed_units();
  ASSERT_EQ(report.size(), 2u);
  EXPECT_EQ(report[0].removed + report[1].removed, 24);
  EXPECT_GT(report[1].removed, report[0].removed);
}

TEST(PruneUnits, WholeUnitsMaskedGrowingAndKeptThroughSteps) {
  Named m = make_bert();
  const std::vector<at::Tensor> original = [&] {
    std::vector<at::Tensor> out;
    for (const auto& p : m.params) out.push_back(p.detach().clone());
    return out;
  }();
  MagnitudePruner pruner(m.names, m.params, PruneSchedule{0.5, 0, 6, 2}, both());
  std::vector<at::Tensor> before;
  for (int64_t step = 1; step <= 8; ++step) {
    {  // an "update" that would regrow every weight
      at::NoGradGuard no_grad;
      for (auto& p : m.params) p.add_(1e-4);
    }
    pruner.after_step(step);
    for (size_t i = 0; i < before.size(); ++i) {
      EXPECT_TRUE(pruner.masks()[i].le(before[i]).all().item<bool>()) << "a mask shrank at step " << step;
    }
    before.clear();
    for (const auto& mask : pruner.masks()) before.push_back(mask.clone());
    int64_t heads = 0, neurons = 0;
    for (const auto& r : pruner.removed_units()) (r.kind == UnitKind::kHead ? heads : neurons) += r.removed;
    const double target = PruneSchedule{0.5, 0, 6, 2}.at(std::min<int64_t>(step, 6) / 2 * 2);  // last update
    EXPECT_EQ(heads, static_cast<int64_t>(std::floor(target * kHeads * kLayers))) << "step " << step;
    EXPECT_EQ(neurons, static_cast<int64_t>(std::floor(target * kFfn * kLayers))) << "step " << step;
  }
  // Every unit is removed in all of its tensors or in none, and kept units keep their values.
  for (const UnitSet& set : find_units(m.names, m.params, both())) {
    for (const UnitMember& member : set.members) {
      const at::Tensor w = by_unit(m.params[member.param].detach(), member.dim, set.count);
      const at::Tensor zero = w.eq(0).all(1);
      const at::Tensor first = by_unit(m.params[set.members[0].param].detach(), set.members[0].dim, set.count);
      EXPECT_TRUE(zero.equal(first.eq(0).all(1))) << m.names[member.param];
      const at::Tensor kept = by_unit(original[member.param] + 8e-4, member.dim, set.count);
      for (int64_t u = 0; u < set.count; ++u) {
        if (!zero[u].item<bool>()) EXPECT_TRUE(at::allclose(w[u], kept[u], 0, 1e-6)) << m.names[member.param];
      }
    }
  }
  // Gradients of removed units are zeroed, biases included; the shared output biases are not masked.
  for (auto& p : m.params) p.mutable_grad() = at::ones_like(p);
  pruner.mask_gradients();
  const at::Tensor bias_grad = m[layer(0) + "attention.self.value.bias"].grad();
  EXPECT_EQ(bias_grad.eq(0).sum().item<int64_t>(), kWidth * static_cast<int64_t>(removed_heads(m, 0).size()));
  EXPECT_EQ(m[layer(0) + "output.dense.bias"].grad().eq(0).sum().item<int64_t>(), 0);
  // A resumed pruner (set_mask) reports the same units.
  MagnitudePruner resumed(m.names, m.params, PruneSchedule{0.5, 0, 6, 2}, both());
  for (size_t i = 0; i < pruner.masks().size(); ++i) resumed.set_mask(i, pruner.masks()[i]);
  for (size_t i = 0; i < pruner.removed_units().size(); ++i) {
    EXPECT_EQ(resumed.removed_units()[i].removed, pruner.removed_units()[i].removed);
  }
}

at::Tensor layer_norm(const at::Tensor& x, Named& m, const std::string& prefix) {
  return at::layer_norm(x, {kHidden}, m[prefix + ".weight"], m[prefix + ".bias"], 1e-12);
}

// Encoder layer i (post-LN, no padding, no dropout) built from the kept heads and neurons only:
// the layer of a model that never had the removed units.
at::Tensor reference_layer(const at::Tensor& x, Named& m, int64_t i, const std::set<int64_t>& heads,
                           const at::Tensor& neurons) {
  const std::string p = layer(i);
  auto rows = [&](const std::string& name, int64_t h) { return m[p + name].narrow(0, h * kWidth, kWidth); };
  at::Tensor attention = m[p + "attention.output.dense.bias"].expand({x.size(0), x.size(1), kHidden});
  for (int64_t h = 0; h < kHeads; ++h) {
    if (heads.count(h)) continue;
    auto project = [&](const char* part) {
      const std::string name = std::string("attention.self.") + part;
      return at::linear(x, rows(name + ".weight", h), rows(name + ".bias", h));
    };
    const at::Tensor q = project("query"), k = project("key"), v = project("value");
    const at::Tensor probs = at::softmax(at::matmul(q, k.transpose(1, 2)) / std::sqrt(double(kWidth)), -1);
    attention = attention + at::matmul(at::matmul(probs, v),
                                       m[p + "attention.output.dense.weight"].narrow(1, h * kWidth, kWidth).t());
  }
  const at::Tensor h1 = layer_norm(x + attention, m, p + "attention.output.LayerNorm");
  const at::Tensor inner = at::gelu(at::linear(h1, m[p + "intermediate.dense.weight"].index_select(0, neurons),
                                               m[p + "intermediate.dense.bias"].index_select(0, neurons)));
  const at::Tensor out = at::linear(inner, m[p + "output.dense.weight"].index_select(1, neurons), m[p + "output.dense.bias"]);
  return layer_norm(h1 + out, m, p + "output.LayerNorm");
}

TEST(PruneUnits, RemovedUnitsContributeExactlyNothing) {
  at::manual_seed(7);
  Named m = make_bert();
  {  // BERT's initial weights (N(0, 0.02)) barely use attention: scale them, so every head matters.
    at::NoGradGuard no_grad;
    for (auto& p : m.params) p.mul_(p.dim() == 2 ? 10.0 : 1.0);
  }
  std::vector<std::shared_ptr<models::BertLayerImpl>> encoder_layers;
  for (const auto& item : m.model->named_modules()) {
    if (auto l = std::dynamic_pointer_cast<models::BertLayerImpl>(item.value())) encoder_layers.push_back(l);
  }
  ASSERT_EQ(encoder_layers.size(), static_cast<size_t>(kLayers));
  at::NoGradGuard no_grad;
  const at::Tensor x = at::randn({3, 7, kHidden});
  const at::Tensor no_padding = at::zeros({3, 1, 1, 7}, at::kBool);
  std::vector<at::Tensor> dense;
  for (auto& l : encoder_layers) dense.push_back(l->forward(x, no_padding));
  // The test's reference layer is the model's layer when nothing is removed.
  EXPECT_LT((dense[0] - reference_layer(x, m, 0, {}, at::arange(kFfn))).abs().max().item<double>(), 1e-5);

  MagnitudePruner pruner(m.names, m.params, at_once(0.5), both());
  pruner.after_step(1);
  int64_t removed_heads_total = 0;
  for (int64_t i = 0; i < kLayers; ++i) {
    const std::set<int64_t> heads = removed_heads(m, i);
    removed_heads_total += static_cast<int64_t>(heads.size());
    const at::Tensor neurons = m[layer(i) + "intermediate.dense.weight"].ne(0).any(1).nonzero().view(-1);
    EXPECT_EQ(neurons.numel() + m[layer(i) + "intermediate.dense.weight"].eq(0).all(1).sum().item<int64_t>(), kFfn);
    const at::Tensor pruned = encoder_layers[static_cast<size_t>(i)]->forward(x, no_padding);
    EXPECT_LT((pruned - reference_layer(x, m, i, heads, neurons)).abs().max().item<double>(), 1e-5) << "layer " << i;
    EXPECT_GT((pruned - dense[static_cast<size_t>(i)]).abs().max().item<double>(), 1e-3) << "pruning changed nothing";
  }
  EXPECT_EQ(removed_heads_total, kHeads * kLayers / 2);
}

}  // namespace
}  // namespace dpt::optim
