#include <ATen/core/Generator.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/init.h>
#include <torch/utils.h>

#include <numeric>

#include "common/error.h"
#include "models/cnn.h"
#include "models/mlp.h"
#include "models/model.h"
#include "models/precision.h"

namespace dpt::models {
namespace {

int64_t product(const std::vector<int64_t>& shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>());
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
  DPT_THROW(ConfigError, "model.type='" << type << "' is not a model; known: mlp, cnn");
}

}  // namespace

std::shared_ptr<Model> make_model(const config::Config& config, const InputSpec& input) {
  DPT_CHECK(input.num_classes > 1, ConfigError,
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
