#include <ATen/core/Generator.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/init.h>
#include <torch/utils.h>

#include <numeric>

#include "common/error.h"
#include "models/bert.h"
#include "models/cnn.h"
#include "models/mlp.h"
#include "models/model.h"
#include "models/precision.h"

namespace dpt::models {
namespace {

int64_t product(const std::vector<int64_t>& shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>());
}

// model.type=bert: sizes from [model], the head from train.task (Note in models/bert.h).
std::shared_ptr<Model> build_bert(const config::Config& config, const InputSpec& input) {
  DPT_CHECK(input.sample_shape.size() == 1, ConfigError,
            "model.type=bert needs token-id samples [max_len]; the dataset's samples have "
            << input.sample_shape.size() << " dimensions (prepare text with 'dptrain prepare text')");
  const std::vector<int64_t> hidden = config.get_int_list("model.hidden");
  DPT_CHECK(hidden.size() == 1, ConfigError,
            "model.hidden='" << config.get_string("model.hidden") << "': model.type=bert takes one width "
            "(the hidden size, e.g. model.hidden = 128); a list is for mlp");
  DPT_CHECK(input.vocab_size > 0, ConfigError,
            "model.type=bert: the vocabulary size is unknown; set model.vocab_size or use a split whose "
            "manifest records its vocabulary");
  BertConfig bert;
  BertSizes& s = bert.sizes;
  s.vocab_size = input.vocab_size;
  s.hidden = hidden[0];
  s.layers = config.get_int("model.layers");
  s.heads = config.get_int("model.heads");
  s.ffn = config.get_int("model.ffn") > 0 ? config.get_int("model.ffn") : 4 * s.hidden;
  s.max_len = config.get_int("model.max_len") > 0 ? config.get_int("model.max_len") : input.sample_shape[0];
  s.pre_norm = config.get_string("model.norm") == "pre";
  s.dropout = config.get_double("model.dropout");
  DPT_CHECK(s.max_len >= input.sample_shape[0], ConfigError,
            "model.max_len=" << s.max_len << " is shorter than the dataset's sequences (" << input.sample_shape[0]
            << " tokens)");
  bert.head = config.get_string("train.task") == "mlm" ? BertHead::kMaskedLm : BertHead::kClassifier;
  bert.num_classes = input.num_classes;
  bert.pad_id = input.pad_id;
  bert.mean_pooling = config.get_string("model.pooling") == "mean";
  return std::make_shared<Bert>(bert);
}

std::shared_ptr<Model> build(const config::Config& config, const InputSpec& input) {
  const std::string& type = config.get_string("model.type");
  if (type == "mlp") {
    std::vector<int64_t> hidden = config.get_int_list("model.hidden");
    for (int64_t h : hidden) DPT_CHECK(h > 0, ConfigError, "model.hidden: widths must be positive");
    return std::make_shared<Mlp>(product(input.sample_shape), hidden, input.num_classes);
  }
  if (type == "cnn") {
    const auto& s = input.sample_shape;
    const bool image = s.size() == 2 || (s.size() == 3 && s[0] <= 4);
    DPT_CHECK(image, ConfigError, "model.type=cnn needs image samples [H, W] or [C, H, W]; the dataset's "
              "samples have " << s.size() << " dimensions");
    const size_t h = s.size() - 2;
    return std::make_shared<Cnn>(s.size() == 3 ? s[0] : 1, s[h], s[h + 1], config.get_int("model.channels"),
                                 input.num_classes);
  }
  if (type == "bert") return build_bert(config, input);
  DPT_THROW(ConfigError, "model.type='" << type << "' is not a model; known: mlp, cnn, bert");
}

}  // namespace

std::shared_ptr<Model> make_model(const config::Config& config, const InputSpec& input) {
  const bool classifier = config.get_string("model.type") != "bert" || config.get_string("train.task") != "mlm";
  DPT_CHECK(!classifier || input.num_classes > 1, ConfigError,
            "the dataset declares " << input.num_classes << " classes; a classifier needs at least 2");
  // Module constructors draw from the global CPU generator: seed it for a deterministic model,
  // and restore it afterwards so that model building leaves no trace on other random streams.
  at::Generator global = at::detail::getDefaultCPUGenerator();
  at::Generator saved;
  {
    std::lock_guard<std::mutex> lock(global.mutex());
    saved = global.clone();
    global.set_current_seed(static_cast<uint64_t>(config.get_int("train.seed")));
  }
  std::shared_ptr<Model> model = build(config, input);
  {
    std::lock_guard<std::mutex> lock(global.mutex());
    global.set_state(saved.get_state());
  }
  model->set_autocast_dtype(autocast_dtype_for(config.get_string("train.precision")));
  return model;
}

}  // namespace dpt::models
