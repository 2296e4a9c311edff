#include "train/train_state.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>

#include <map>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

#include "checkpoint/layout.h"
#include "common/error.h"

namespace dpt::train {
namespace {

using checkpoint::TensorEntry;

// The key LibTorch files a parameter's optimizer state under: its TensorImpl's address, printed
// into a string up to 1.13 (c10::guts::to_string, gone in 2.x), the address itself (void*) from
// 2.x on. The key type is read off Optimizer::state(), so both versions build.
using StateMap = std::decay_t<decltype(std::declval<torch::optim::Optimizer&>().state())>;
template <typename Key>
Key state_key(const at::Tensor& p) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream out;  // what c10::guts::to_string(TensorImpl*) printed
    out << static_cast<const void*>(p.unsafeGetTensorImpl());
    return out.str();
  } else {
    return p.unsafeGetTensorImpl();
  }
}
StateMap::key_type key_of(const at::Tensor& p) { return state_key<StateMap::key_type>(p); }

at::Tensor host(const at::Tensor& t) { return t.detach().to(at::kCPU).contiguous(); }
at::Tensor scalar(int64_t value) { return at::scalar_tensor(value, at::kLong); }

// The per-parameter state tensors of `optimizer` for parameter `p`, by state name.
std::vector<std::pair<std::string, at::Tensor>> optimizer_state(torch::optim::Optimizer& optimizer, const at::Tensor& p) {
  auto found = optimizer.state().find(key_of(p));
  if (found == optimizer.state().end()) return {};  // no step yet (state is created lazily)
  std::vector<std::pair<std::string, at::Tensor>> out;
  auto add_adam_like = [&](const auto& s) {
    out.emplace_back("exp_avg", s.exp_avg());
    out.emplace_back("exp_avg_sq", s.exp_avg_sq());
    if (s.max_exp_avg_sq().defined()) out.emplace_back("max_exp_avg_sq", s.max_exp_avg_sq());
    out.emplace_back("step", scalar(s.step()));
  };
  if (auto* sgd = dynamic_cast<torch::optim::SGDParamState*>(found->second.get())) {
    if (sgd->momentum_buffer().defined()) out.emplace_back("momentum_buffer", sgd->momentum_buffer());
  } else if (auto* adam = dynamic_cast<torch::optim::AdamParamState*>(found->second.get())) {
    add_adam_like(*adam);
  } else if (auto* adamw = dynamic_cast<torch::optim::AdamWParamState*>(found->second.get())) {
    add_adam_like(*adamw);
  } else {
    DPT_THROW(InternalError, "checkpoint: unsupported optimizer state type");
  }
  return out;
}

const std::vector<std::string>& state_names(const std::string& optimizer) {
  static const std::vector<std::string> sgd = {"momentum_buffer"};
  static const std::vector<std::string> adam = {"exp_avg", "exp_avg_sq", "step", "max_exp_avg_sq"};
  return optimizer == "sgd" ? sgd : adam;
}

data::Json to_json(const ModelInfo& info) {
  data::Json shape = data::Json::array();
  for (int64_t d : info.input.sample_shape) shape.push_back(d);
  data::Json input = data::Json::object();
  input.set("sample_shape", shape);
  input.set("num_classes", info.input.num_classes);
  if (info.input.vocab_size > 0) {
    input.set("vocab_size", info.input.vocab_size);
    input.set("pad_id", info.input.pad_id);
  }
  data::Json out = data::Json::object();
  out.set("model_type", info.model_type);
  out.set("optimizer", info.optimizer);
  out.set("model_input", input);
  return out;
}

}  // namespace

checkpoint::State capture_state(models::Model& model, torch::optim::Optimizer& optimizer, const TrainPosition& progress,
                                const ModelInfo& info, const std::string& config_text) {
  checkpoint::State state;
  state.step = progress.step;
  state.config_text = config_text;
  state.extra = to_json(info);
  auto& out = state.replicated;
  for (const auto& item : model.named_parameters()) out.push_back({"model/" + item.key(), host(item.value())});
  for (const auto& item : model.named_buffers()) out.push_back({"buffers/" + item.key(), host(item.value())});
  for (const auto& item : model.named_parameters()) {
    for (const auto& [name, tensor] : optimizer_state(optimizer, item.value())) {
      out.push_back({"optimizer/" + item.key() + "/" + name, host(tensor)});
    }
  }
  out.push_back({"data/epoch", scalar(progress.loader.epoch)});
  out.push_back({"data/position", scalar(progress.loader.position)});
  out.push_back({"data/seed", scalar(progress.data_seed)});
  out.push_back({"trainer/step", scalar(progress.step)});
  out.push_back({"trainer/samples", scalar(progress.samples)});
  out.push_back({"trainer/scheduler_step", scalar(progress.step)});
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  state.rank_state = generator.get_state().contiguous();
  return state;
}

namespace {

std::string describe(const std::vector<int64_t>& shape, at::ScalarType dtype) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "] " + checkpoint::dtype_name(dtype);
}

std::vector<int64_t> shape_of(const at::Tensor& t) { return {t.sizes().begin(), t.sizes().end()}; }

// Checks one model tensor against the manifest.
void check_tensor(const checkpoint::Manifest& manifest, const std::string& name, const at::Tensor& t) {
  const checkpoint::TensorInfo* info = manifest.find(name);
  DPT_CHECK(info != nullptr, ConfigError,
            "the checkpoint does not match the model: it has no tensor " << name << " (" << describe(shape_of(t), t.scalar_type())
            << " in the model built from this config); resume with the [model] settings it was written with");
  DPT_CHECK(info->shape == shape_of(t) && info->dtype == t.scalar_type(), ConfigError,
            "the checkpoint does not match the model: " << name << " is " << describe(info->shape, info->dtype)
            << " in the checkpoint but " << describe(shape_of(t), t.scalar_type())
            << " in the model built from this config; resume with the [model] settings it was written with");
}

}  // namespace

void check_compatible(const checkpoint::Manifest& manifest, models::Model& model, const std::string& optimizer_name) {
  std::map<std::string, at::Tensor> params;
  for (const auto& item : model.named_parameters()) {
    check_tensor(manifest, "model/" + item.key(), item.value());
    params.emplace(item.key(), item.value());
  }
  std::map<std::string, bool> buffers;
  for (const auto& item : model.named_buffers()) {
    check_tensor(manifest, "buffers/" + item.key(), item.value());
    buffers.emplace(item.key(), true);
  }
  const auto& allowed = state_names(optimizer_name);
  for (const auto& info : manifest.tensors) {
    const std::string& name = info.name;
    if (name.rfind("model/", 0) == 0 || name.rfind("buffers/", 0) == 0) {
      const bool is_model = name[0] == 'm';
      const std::string key = name.substr(is_model ? 6 : 8);
      DPT_CHECK(is_model ? params.count(key) > 0 : buffers.count(key) > 0, ConfigError,
                "the checkpoint does not match the model: it has " << name << " (" << describe(info.shape, info.dtype)
                << "), which the model built from this config does not; resume with the [model] settings it was "
                   "written with");
    } else if (name.rfind("optimizer/", 0) == 0) {
      const size_t slash = name.rfind('/');
      const std::string param = name.substr(10, slash - 10), state = name.substr(slash + 1);
      DPT_CHECK(params.count(param) > 0, ConfigError,
                "the checkpoint does not match the model: optimizer state " << name << " belongs to no parameter");
      DPT_CHECK(std::find(allowed.begin(), allowed.end(), state) != allowed.end(), ConfigError,
                "the checkpoint's optimizer state " << name << " is not state of optim.name=" << optimizer_name
                << "; resume with the optimizer the checkpoint was written with");
    }
  }
  for (const char* name : {"data/epoch", "data/position", "trainer/step", "trainer/samples"}) {
    DPT_CHECK(manifest.find(name) != nullptr, CheckpointError,
              "the checkpoint lacks " << name << "; it was not written by 'dptrain train'");
  }
}

TrainPosition restore_state(const checkpoint::Loaded& loaded, models::Model& model, torch::optim::Optimizer* optimizer) {
  std::map<std::string, at::Tensor> tensors;
  for (const auto& entry : loaded.tensors) tensors.emplace(entry.name, entry.tensor);
  auto get = [&](const std::string& name) -> const at::Tensor& {
    auto it = tensors.find(name);
    DPT_CHECK(it != tensors.end(), CheckpointError, "checkpoint " << loaded.path << " lacks " << name);
    return it->second;
  };
  {
    at::NoGradGuard no_grad;
    for (const auto& item : model.named_parameters()) item.value().copy_(get("model/" + item.key()));
    for (const auto& item : model.named_buffers()) item.value().copy_(get("buffers/" + item.key()));
  }
  if (optimizer != nullptr) {
    optimizer->state().clear();
    for (const auto& item : model.named_parameters()) {
      const std::string prefix = "optimizer/" + item.key() + "/";
      auto state = [&](const char* s) {
        auto it = tensors.find(prefix + s);
        return it == tensors.end() ? at::Tensor() : it->second.to(item.value().device()).clone();
      };
      std::unique_ptr<torch::optim::OptimizerParamState> restored;
      if (dynamic_cast<torch::optim::SGD*>(optimizer) != nullptr) {
        if (state("momentum_buffer").defined()) {
          auto s = std::make_unique<torch::optim::SGDParamState>();
          s->momentum_buffer(state("momentum_buffer"));
          restored = std::move(s);
        }
      } else if (state("exp_avg").defined()) {
        auto fill = [&](auto s) {
          s->exp_avg(state("exp_avg")).exp_avg_sq(state("exp_avg_sq")).step(state("step").item<int64_t>());
          if (state("max_exp_avg_sq").defined()) s->max_exp_avg_sq(state("max_exp_avg_sq"));
          return s;
        };
        if (dynamic_cast<torch::optim::AdamW*>(optimizer) != nullptr) {
          restored = fill(std::make_unique<torch::optim::AdamWParamState>());
        } else {
          restored = fill(std::make_unique<torch::optim::AdamParamState>());
        }
      }
      if (restored) optimizer->state()[key_of(item.value())] = std::move(restored);
    }
  }
  TrainPosition progress;
  progress.step = get("trainer/step").item<int64_t>();
  progress.samples = get("trainer/samples").item<int64_t>();
  progress.loader = {get("data/epoch").item<int64_t>(), get("data/position").item<int64_t>()};
  progress.data_seed = get("data/seed").item<int64_t>();
  if (loaded.rank_state.defined()) {
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(loaded.rank_state);
  }
  return progress;
}

ModelInfo model_info(const checkpoint::Manifest& manifest, const std::string& where) {
  const data::Json* type = manifest.extra.find("model_type");
  const data::Json* optimizer = manifest.extra.find("optimizer");
  const data::Json* input = manifest.extra.find("model_input");
  const data::Json* shape = input != nullptr ? input->find("sample_shape") : nullptr;
  const data::Json* classes = input != nullptr ? input->find("num_classes") : nullptr;
  DPT_CHECK(type != nullptr && optimizer != nullptr && shape != nullptr && classes != nullptr, CheckpointError,
            where << " does not describe its model (manifest extra.model_type / model_input); it was not written "
                     "by 'dptrain train'");
  ModelInfo info;
  info.model_type = type->as_string();
  info.optimizer = optimizer->as_string();
  for (const auto& d : shape->as_array()) info.input.sample_shape.push_back(d.as_int());
  info.input.num_classes = classes->as_int();
  if (const data::Json* vocab = input->find("vocab_size")) info.input.vocab_size = vocab->as_int();
  if (const data::Json* pad = input->find("pad_id")) info.input.pad_id = pad->as_int();
  return info;
}

}  // namespace dpt::train
