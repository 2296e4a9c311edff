#pragma once
// What the ddp equivalence tests share (equivalence_test.cc, bert_equivalence_test.cc,
// sharded_test.cc and tests/gpu/equivalence_gpu_test.cc): the small models they train (8x8
// inputs, 4 classes), their data, the named parameters a reducer takes, small gradient buckets,
// the steps over the micro-batch layout and the comparison of the trained parameters.
#include <ATen/ATen.h>

#include <algorithm>
#include <string>
#include <vector>

#include "config/config.h"
#include "ddp/grad_reducer.h"
#include "models/model.h"
#include "train/step.h"

namespace dpt::train {

inline config::Config tiny_config(const std::string& model, const std::string& optimizer) {
  config::Config cfg;
  cfg.set("model.type", model);
  cfg.set("model.hidden", "32,16");
  cfg.set("model.channels", "4");
  cfg.set("train.seed", "7");
  cfg.set("optim.name", optimizer);
  cfg.set("optim.lr", optimizer == "sgd" ? "0.05" : "0.01");
  cfg.set("optim.weight_decay", "0.01");
  return cfg;
}

// `samples` 8x8 inputs (float64 when asked) and labels in [0, 4), the same on every rank.
struct TinyData {
  at::Tensor x, y;
};

inline TinyData tiny_data(int64_t samples, bool float64) {
  at::Generator gen = at::detail::createCPUGenerator(1234);
  at::Tensor x = at::randn({samples, 8, 8}, gen);
  return {float64 ? x.to(at::kDouble) : x, at::randint(0, 4, {samples}, gen)};
}

// A model's parameters in order, with their names: what a GradReducer and an optimizer take.
struct NamedParams {
  std::vector<std::string> names;
  std::vector<at::Tensor> tensors;
};

inline NamedParams named_params(models::Model& model) {
  NamedParams out;
  for (const auto& item : model.named_parameters()) {
    out.names.push_back(item.key());
    out.tensors.push_back(item.value());
  }
  return out;
}

// Reducer options with small buckets, so that even these small models fill several.
inline ddp::ReducerOptions small_buckets(int64_t first_bucket_bytes, int64_t bucket_bytes) {
  ddp::ReducerOptions options;
  options.first_bucket_bytes = first_bucket_bytes;
  options.bucket_bytes = bucket_bytes;
  return options;
}

// Runs `steps` optimizer steps of `setup` on a global batch of `global_batch` samples, this
// rank's share cut into micro-batches of `micro`; `batch(start, micro)` makes the micro-batch
// of rows [start, start + micro). DESIGN.md §3: rank r's micro-batch m of step s starts at
// s·G + m·W·b + r·b.
template <class MakeBatch>
void train_steps(const StepSetup& setup, int64_t steps, int64_t global_batch, int world, int rank, int64_t micro,
                 MakeBatch batch) {
  for (int64_t step = 0; step < steps; ++step) {
    int64_t m = 0;
    train_step(setup, [&] { return batch(step * global_batch + m++ * world * micro + rank * micro, micro); });
  }
}

// The largest max|a - b| / max(max|a|, floor) over the tensors, in float64.
inline double worst_relative_difference(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b,
                                        double floor = 1e-12) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double diff = (a[i].to(at::kDouble) - b[i].to(at::kDouble)).abs().max().item<double>();
    worst = std::max(worst, diff / std::max(a[i].abs().max().item<double>(), floor));
  }
  return worst;
}

}  // namespace dpt::train
