#pragma once
// Integrated gradients (Sundararajan et al. 2017) over bert's word embeddings: how much each
// token of one input contributed to one class logit.
//
//   attribution_i = Σ_h (x_ih − x'_ih) · ∫₀¹ ∂F(x' + α(x − x'))/∂x_ih dα
//
// x: the input's word embeddings [L, H]; x': the baseline, the [PAD] embedding at every
// position (position and segment embeddings, and the attention mask, stay those of the input);
// F: the logit of `target`. The integral is the trapezoidal rule over `steps` intervals. By
// the completeness property Σ_i attribution_i = F(x) − F(x') up to the integration error,
// which `steps` controls (tests/unit/models/integrated_gradients_test.cc).
#include <ATen/core/Tensor.h>

#include <vector>

#include "models/bert.h"

namespace dpt::models {

struct Attributions {
  int64_t target = 0;
  std::vector<double> per_token;  // [L]; 0 at padding positions (x = x' there)
  double logit = 0;               // F(x)
  double baseline_logit = 0;      // F(x')
  std::vector<double> probabilities;  // softmax of the input's logits, per class
};

// ids, attention_mask: [1, L] (one sequence). The model should be in eval mode (dropout off).
// target < 0: the predicted class. steps >= 1. Gradients flow into the embeddings only; the
// model's own .grad fields are left untouched.
Attributions integrated_gradients(Bert& model, const at::Tensor& ids, const at::Tensor& attention_mask,
                                  int64_t target, int64_t steps);

}  // namespace dpt::models
