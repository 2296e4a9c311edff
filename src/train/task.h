#pragma once
// The training objective (train.task): how a loader batch becomes the model's input, and what
// the model's output is scored against. The step loop (train/step.h) and the evaluator
// (train/evaluator.h) run any Task the same way.
//   classify  cross-entropy of the class logits against the label field, per sample
//   mlm       masked-LM (bert): cross-entropy of the token predictions at the masked positions
//             (Note [Deterministic masking]), per masked token
#include <ATen/core/Tensor.h>

#include <memory>
#include <string>

#include "config/config.h"
#include "data/batch.h"
#include "models/model.h"
#include "train/mlm_masking.h"

namespace dpt::train {

// One micro-batch as the model sees it, on its device.
struct MicroBatch {
  at::Tensor inputs;          // [b, ...]: the input field (text: token ids, masked for mlm)
  at::Tensor labels;          // classify: [b] int64; mlm: [b, L] target ids, kIgnoreLabel elsewhere
  at::Tensor attention_mask;  // text: [b, L], 1 = real token, 0 = padding; undefined otherwise
  at::Tensor sample_mask;     // float [b], 0 for evaluation padding rows; undefined = every row real
  int64_t items = -1;         // loss terms (samples or masked tokens); -1 = one per row
};

// A micro-batch's loss summed over its items (differentiable) and how many of them the model
// predicted right (arg-max), both scalar tensors on the batch's device.
struct Outcome {
  at::Tensor loss_sum;
  at::Tensor correct;
};

class Task {
 public:
  virtual ~Task() = default;
  virtual std::string name() const = 0;
  // The batch's tensors on `device`, prepared for the model (mlm: masked).
  virtual MicroBatch prepare(const data::Batch& batch, const at::Device& device) const = 0;
  // Loss terms in `batch` (padding rows excluded).
  int64_t items(const MicroBatch& batch) const { return batch.items >= 0 ? batch.items : batch.inputs.size(0); }
  // True when items() depends on the data (mlm), so the global count needs a reduction
  // (Note [Loss normalization] in train/step.cc); false: every rank has the same count.
  virtual bool items_vary() const = 0;
  virtual Outcome forward(models::Model& model, const MicroBatch& batch) const = 0;
};

// The special-token ids a text split's manifest records (BERT's defaults for those it lacks or
// for a split without text info).
SpecialTokens special_tokens(const data::Manifest& manifest);

// train.task from the config. `input` describes the dataset (vocabulary for mlm); `special`
// the vocabulary's special tokens. Throws ConfigError for a combination that cannot work
// (mlm without model.type=bert, ...).
std::unique_ptr<Task> make_task(const config::Config& config, const models::InputSpec& input,
                                const SpecialTokens& special);

}  // namespace dpt::train
