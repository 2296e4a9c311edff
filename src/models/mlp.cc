#include "models/mlp.h"

#include <torch/nn/functional/activation.h>
#include <torch/nn/modules/linear.h>

namespace dpt::models {

Mlp::Mlp(int64_t inputs, const std::vector<int64_t>& hidden, int64_t classes) {
  int64_t width = inputs;
  std::vector<int64_t> outs = hidden;
  outs.push_back(classes);
  for (size_t i = 0; i < outs.size(); ++i) {
    layers_.push_back(register_module("fc" + std::to_string(i), torch::nn::Linear(width, outs[i])));
    width = outs[i];
  }
}

at::Tensor Mlp::forward(const at::Tensor& x) {
  at::Tensor h = x.flatten(1);
  for (size_t i = 0; i < layers_.size(); ++i) {
    h = layers_[i]->forward(h);
    if (i + 1 < layers_.size()) h = torch::relu(h);
  }
  return h;
}

}  // namespace dpt::models
