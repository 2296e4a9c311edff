#pragma once
// mlp: flatten → [Linear → ReLU] per hidden width → Linear to the classes.
#include "models/model.h"

namespace dpt::models {

class Mlp : public Model {
 public:
  Mlp(int64_t inputs, const std::vector<int64_t>& hidden, int64_t classes);
  at::Tensor forward(const at::Tensor& x) override;

 private:
  std::vector<torch::nn::Linear> layers_;
};

}  // namespace dpt::models
