#pragma once
// A LibTorch optimizer's per-parameter state, by name, independent of the optimizer class:
//   sgd: momentum_buffer; adam, adamw: exp_avg, exp_avg_sq, step [, max_exp_avg_sq].
// Checkpoints (train/train_state.h) and the sharded optimizer (ddp/sharded_optimizer.h) read
// and rebuild state through these, so both name it the same way.
#include <torch/optim/optimizer.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace dpt::optim {

// The state tensors `optimizer` keeps for parameter `p`, by name; empty before the first step
// (LibTorch creates state lazily). "step" is a 0-dim int64 tensor.
std::vector<std::pair<std::string, at::Tensor>> param_state(torch::optim::Optimizer& optimizer, const at::Tensor& p);

// Replaces `optimizer`'s state for parameter `p` with the tensors `get(name)` returns (an
// undefined tensor: that state is absent). Nothing is set when the optimizer's main state
// (momentum_buffer / exp_avg) is absent, as before a first step.
void set_param_state(torch::optim::Optimizer& optimizer, const at::Tensor& p,
                     const std::function<at::Tensor(const char* name)>& get);

// The state names optimizer `name` (sgd | adam | adamw) may keep.
const std::vector<std::string>& state_names(const std::string& name);

// Bytes of all state tensors `optimizer` holds now (the optimizer-state memory of this rank).
int64_t state_bytes(torch::optim::Optimizer& optimizer);

}  // namespace dpt::optim
