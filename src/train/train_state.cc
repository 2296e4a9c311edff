#include "train/train_state.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <map>
#include <string>
#include <utility>

#include "checkpoint/layout.h"
#include "common/error.h"
#include "common/hash.h"
#include "optim/state.h"

namespace dpt::train {
namespace {

using checkpoint::TensorEntry;

at::Tensor host(const at::Tensor& t) { return t.detach().to(at::kCPU).contiguous(); }
at::Tensor scalar(int64_t value) { return at::scalar_tensor(value, at::kLong); }
std::vector<int64_t> shape_of(const at::Tensor& t) { return {t.sizes().begin(), t.sizes().end()}; }

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
  if (!info.vocab.hash.empty()) {
    input.set("vocab_path", info.vocab.path);
    input.set("vocab_hash", info.vocab.hash);
  }
  data::Json out = data::Json::object();
  out.set("model_type", info.model_type);
  out.set("optimizer", info.optimizer);
  out.set("model_input", input);
  return out;
}

}  // namespace

checkpoint::State capture_state(models::Model& model, OptimizerRef optimizer, const TrainPosition& progress,
                                const ModelInfo& info, const std::string& config_text) {
  checkpoint::State state;
  state.step = progress.step;
  state.config_text = config_text;
  state.extra = to_json(info);
  auto& out = state.replicated;
  for (const auto& item : model.named_parameters()) out.push_back({"model/" + item.key(), host(item.value())});
  for (const auto& item : model.named_buffers()) out.push_back({"buffers/" + item.key(), host(item.value())});
  const auto params = model.named_parameters();
  if (optimizer.plain != nullptr) {
    for (const auto& item : params) {
      for (const auto& [name, tensor] : optim::param_state(*optimizer.plain, item.value())) {
        out.push_back({"optimizer/" + item.key() + "/" + name, host(tensor)});
      }
    }
  }
  if (optimizer.sharded != nullptr) {
    for (const auto& piece : optimizer.sharded->state_pieces()) {
      const auto& param = params[piece.param];
      const std::string name = "optimizer/" + param.key() + "/" + piece.name;
      if (piece.name == "step") {
        out.push_back({name, host(piece.values)});
      } else {
        state.sharded.push_back({name, shape_of(param.value()), piece.begin, host(piece.values)});
      }
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
  const auto& allowed = optim::state_names(optimizer_name);
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

TrainPosition restore_state(const checkpoint::Loaded& loaded, models::Model& model, OptimizerRef optimizer) {
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
  const auto params = model.named_parameters();
  auto state_of = [&](size_t param, const char* name) {
    auto it = tensors.find("optimizer/" + params[param].key() + "/" + name);
    return it == tensors.end() ? at::Tensor() : it->second.to(params[param].value().device()).clone();
  };
  if (optimizer.plain != nullptr) {
    optimizer.plain->state().clear();
    for (size_t i = 0; i < params.size(); ++i) {
      optim::set_param_state(*optimizer.plain, params[i].value(), [&](const char* name) { return state_of(i, name); });
    }
  }
  if (optimizer.sharded != nullptr) {
    optimizer.sharded->reload_parameters();
    optimizer.sharded->load_state(state_of);
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

void seed_rank_generators(int64_t seed, int rank, const at::Device& device) {
  // The CPU generator (mt19937) keeps 32 bits of its seed: all 64 are mixed into those.
  const uint64_t stream = splitmix64(splitmix64(static_cast<uint64_t>(seed)) ^ static_cast<uint64_t>(rank));
  std::vector<at::Generator> generators{at::detail::getDefaultCPUGenerator()};
  if (!device.is_cpu()) generators.push_back(at::globalContext().defaultGenerator(device));
  for (at::Generator& generator : generators) {
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_current_seed(stream);
  }
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
  info.vocab = recorded_vocab(manifest);
  return info;
}

VocabRecord recorded_vocab(const checkpoint::Manifest& manifest) {
  VocabRecord out;
  const data::Json* input = manifest.extra.find("model_input");
  const data::Json* path = input != nullptr ? input->find("vocab_path") : nullptr;
  const data::Json* hash = input != nullptr ? input->find("vocab_hash") : nullptr;
  if (path != nullptr && hash != nullptr) out = {path->as_string(), hash->as_string()};
  return out;
}

}  // namespace dpt::train
