#pragma once
// The model interface and registry. A model maps a batch of samples to class logits (bert also has a
// masked-LM head, models/bert.h); its
// parameters' names (named_parameters()) are the names checkpoints store.
#include <torch/nn/module.h>

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"

namespace dpt::models {

// What the data tells the model: one sample's shape (without the batch axis), class count and,
// for text, the vocabulary.
struct InputSpec {
  std::vector<int64_t> sample_shape;  // e.g. {28, 28} or {1, 28, 28}; text: {max_len}
  int64_t num_classes = 0;            // 0: no classifier (masked-LM pre-training)
  int64_t vocab_size = 0;             // text: token ids lie in [0, vocab_size); 0 = not text
  int64_t pad_id = 0;                 // text: the [PAD] token id
};

class Model : public torch::nn::Module {
 public:
  // x: [batch, sample_shape...] float; returns [batch, num_classes] logits.
  virtual at::Tensor forward(const at::Tensor& x) = 0;

  // The dtype the training forward pass runs in under autocast (train.precision; kFloat = no
  // autocast). Set by make_model; applied by train_step through models::AutocastGuard.
  at::ScalarType autocast_dtype() const { return autocast_dtype_; }
  void set_autocast_dtype(at::ScalarType dtype) { autocast_dtype_ = dtype; }

 private:
  at::ScalarType autocast_dtype_ = at::kFloat;
};

// Builds model.type from the config. Initialization is deterministic: it draws from a
// generator seeded with train.seed, so every rank (and every run) builds the same weights.
// Throws ConfigError for an unknown type or a shape the model cannot take.
std::shared_ptr<Model> make_model(const config::Config& config, const InputSpec& input);

}  // namespace dpt::models
