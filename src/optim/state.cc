#include "optim/state.h"

#include <ATen/ATen.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>

#include <sstream>
#include <type_traits>

#include "common/error.h"

namespace dpt::optim {
namespace {

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

at::Tensor scalar(int64_t value) { return at::scalar_tensor(value, at::kLong); }

}  // namespace

std::vector<std::pair<std::string, at::Tensor>> param_state(torch::optim::Optimizer& optimizer, const at::Tensor& p) {
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
    DPT_THROW(InternalError, "unsupported optimizer state type");
  }
  return out;
}

void set_param_state(torch::optim::Optimizer& optimizer, const at::Tensor& p,
                     const std::function<at::Tensor(const char* name)>& get) {
  std::unique_ptr<torch::optim::OptimizerParamState> restored;
  if (dynamic_cast<torch::optim::SGD*>(&optimizer) != nullptr) {
    if (get("momentum_buffer").defined()) {
      auto s = std::make_unique<torch::optim::SGDParamState>();
      s->momentum_buffer(get("momentum_buffer"));
      restored = std::move(s);
    }
  } else if (get("exp_avg").defined()) {
    auto fill = [&](auto s) {
      s->exp_avg(get("exp_avg")).exp_avg_sq(get("exp_avg_sq")).step(get("step").template item<int64_t>());
      if (get("max_exp_avg_sq").defined()) s->max_exp_avg_sq(get("max_exp_avg_sq"));
      return s;
    };
    if (dynamic_cast<torch::optim::AdamW*>(&optimizer) != nullptr) {
      restored = fill(std::make_unique<torch::optim::AdamWParamState>());
    } else {
      restored = fill(std::make_unique<torch::optim::AdamParamState>());
    }
  }
  if (restored) {
    optimizer.state()[key_of(p)] = std::move(restored);
  } else {
    optimizer.state().erase(key_of(p));
  }
}

const std::vector<std::string>& state_names(const std::string& name) {
  static const std::vector<std::string> sgd = {"momentum_buffer"};
  static const std::vector<std::string> adam = {"exp_avg", "exp_avg_sq", "step", "max_exp_avg_sq"};
  return name == "sgd" ? sgd : adam;
}

int64_t state_bytes(torch::optim::Optimizer& optimizer) {
  int64_t bytes = 0;
  for (const auto& group : optimizer.param_groups()) {
    for (const auto& p : group.params()) {
      for (const auto& [name, t] : param_state(optimizer, p)) {
        if (name != "step") bytes += static_cast<int64_t>(t.nbytes());  // step: a counter, not a tensor
      }
    }
  }
  return bytes;
}

}  // namespace dpt::optim
