#include "train/task.h"

#include <ATen/ATen.h>
#include <torch/nn/functional/loss.h>

#include "common/error.h"
#include "models/bert.h"

namespace dpt::train {
namespace {

namespace F = torch::nn::functional;

at::Tensor optional_field(const data::Batch& batch, const char* name, const at::Device& device) {
  auto it = batch.fields.find(name);
  return it == batch.fields.end() ? at::Tensor() : it->second.to(device);
}

// The rows that are evaluation padding get weight 0 (undefined: no padding).
at::Tensor sample_mask(const data::Batch& batch, const at::Device& device) {
  return batch.valid < batch.size() ? batch.mask.to(device) : at::Tensor();
}

class ClassifyTask : public Task {
 public:
  std::string name() const override { return "classify"; }
  bool items_vary() const override { return false; }

  MicroBatch prepare(const data::Batch& batch, const at::Device& device) const override {
    DPT_CHECK(batch.label.defined(), DataError, "train.task=classify needs a label field; the split has none "
              "(pre-training on unlabeled text is train.task=mlm)");
    MicroBatch out{batch.input_on(device), batch.label.to(device), optional_field(batch, "attention_mask", device),
                   sample_mask(batch, device), batch.valid};
    return out;
  }

  Outcome forward(models::Model& model, const MicroBatch& batch) const override {
    auto* bert = dynamic_cast<models::Bert*>(&model);
    const at::Tensor logits = bert != nullptr && batch.attention_mask.defined()
                                  ? bert->classify(bert->encode(batch.inputs, batch.attention_mask), batch.attention_mask)
                                  : model.forward(batch.inputs);
    at::Tensor losses = F::cross_entropy(logits, batch.labels, F::CrossEntropyFuncOptions().reduction(torch::kNone));
    at::Tensor right = logits.argmax(1).eq(batch.labels).to(at::kFloat);
    if (batch.sample_mask.defined()) {  // where, not a product: a padding row's loss may be anything
      const at::Tensor real = batch.sample_mask.gt(0);
      losses = at::where(real, losses, at::zeros_like(losses));
      right = at::where(real, right, at::zeros_like(right));
    }
    return {losses.sum(), right.sum()};
  }
};

class MaskedLmTask : public Task {
 public:
  explicit MaskedLmTask(MaskingOptions options) : options_(std::move(options)) {}
  std::string name() const override { return "mlm"; }
  bool items_vary() const override { return true; }

  MicroBatch prepare(const data::Batch& batch, const at::Device& device) const override {
    auto mask = batch.fields.find("attention_mask");
    DPT_CHECK(mask != batch.fields.end(), DataError,
              "train.task=mlm needs the field attention_mask (a split made by 'dptrain prepare text')");
    const MaskedTokens masked = mask_tokens(batch.input, mask->second, batch.sample_ids, batch.epoch, options_);
    return {masked.inputs.to(device), masked.labels.to(device), mask->second.to(device), at::Tensor(),
            masked.targets};
  }

  Outcome forward(models::Model& model, const MicroBatch& batch) const override {
    auto& bert = static_cast<models::Bert&>(model);  // make_task checked model.type
    const at::Tensor hidden = bert.encode(batch.inputs, batch.attention_mask);
    // Only the target positions go through the vocabulary projection.
    const at::Tensor labels = batch.labels.reshape({-1});
    const at::Tensor at_targets = labels.ne(kIgnoreLabel).nonzero().squeeze(1);
    const at::Tensor logits =
        bert.predict_tokens(hidden.reshape({-1, hidden.size(-1)}).index_select(0, at_targets));
    const at::Tensor targets = labels.index_select(0, at_targets);
    const at::Tensor loss = F::cross_entropy(logits, targets, F::CrossEntropyFuncOptions().reduction(torch::kSum));
    return {loss, logits.argmax(1).eq(targets).sum().to(at::kFloat)};
  }

 private:
  MaskingOptions options_;
};

}  // namespace

SpecialTokens special_tokens(const data::Manifest& manifest) {
  SpecialTokens out;
  if (!manifest.text) return out;
  const data::TextInfo& t = *manifest.text;
  for (auto [id, slot] : {std::pair{t.pad_id, &out.pad}, {t.unk_id, &out.unk}, {t.cls_id, &out.cls},
                          {t.sep_id, &out.sep}, {t.mask_id, &out.mask}}) {
    if (id >= 0) *slot = id;
  }
  return out;
}

std::unique_ptr<Task> make_task(const config::Config& config, const models::InputSpec& input,
                                const SpecialTokens& special) {
  const std::string& task = config.get_string("train.task");
  if (task == "classify") return std::make_unique<ClassifyTask>();
  DPT_CHECK(task == "mlm", ConfigError, "train.task='" << task << "' is not a task; use classify or mlm");
  DPT_CHECK(config.get_string("model.type") == "bert", ConfigError,
            "train.task=mlm pre-trains a text encoder: it needs model.type=bert, not " << config.get_string("model.type"));
  MaskingOptions options;
  options.probability = config.get_double("train.mlm_probability");
  options.vocab_size = input.vocab_size;
  options.special = special;
  options.seed = static_cast<uint64_t>(config.get_int("data.seed"));
  DPT_CHECK(options.probability > 0 && options.probability <= 1, ConfigError,
            "train.mlm_probability=" << options.probability << " must lie in (0, 1]");
  return std::make_unique<MaskedLmTask>(options);
}

}  // namespace dpt::train
