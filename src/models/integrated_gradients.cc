#include "models/integrated_gradients.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include "common/error.h"

namespace dpt::models {
namespace {

constexpr int64_t kChunk = 32;  // interpolation points per forward/backward pass

std::vector<double> to_vector(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kDouble).contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

}  // namespace

Attributions integrated_gradients(Bert& model, const at::Tensor& ids, const at::Tensor& attention_mask,
                                  int64_t target, int64_t steps) {
  DPT_CHECK(ids.dim() == 2 && ids.size(0) == 1, ConfigError, "integrated gradients explain one sequence at a time");
  DPT_CHECK(steps >= 1, ConfigError, "--steps must be at least 1, got " << steps);
  Attributions out;
  at::Tensor x, baseline;
  {
    at::NoGradGuard no_grad;
    x = model.embed_words(ids)[0];  // [L, H]
    baseline = model.embed_words(at::full_like(ids, model.config().pad_id))[0];
    const at::Tensor logits = model.classify(model.encode_words(x.unsqueeze(0), attention_mask), attention_mask)[0];
    out.probabilities = to_vector(at::softmax(logits.to(at::kDouble), 0));
    out.target = target >= 0 ? target : logits.argmax().item<int64_t>();
    DPT_CHECK(out.target < logits.size(0), ConfigError,
              "class " << out.target << " does not exist; the model has " << logits.size(0));
    out.logit = logits[out.target].item<double>();
    out.baseline_logit =
        model.classify(model.encode_words(baseline.unsqueeze(0), attention_mask), attention_mask)[0][out.target].item<double>();
  }
  const at::Tensor delta = x - baseline;
  at::Tensor gradient_sum = at::zeros_like(x);
  for (int64_t first = 0; first <= steps; first += kChunk) {
    const int64_t n = std::min(kChunk, steps + 1 - first);
    const at::Tensor alphas = at::arange(first, first + n, x.options()).div(static_cast<double>(steps));
    at::Tensor points = (baseline + alphas.view({n, 1, 1}) * delta).detach().requires_grad_(true);
    const at::Tensor masks = attention_mask.expand({n, -1});
    const at::Tensor logits = model.classify(model.encode_words(points, masks), masks);
    // Trapezoidal weights: 1/2 at both ends of [0, 1].
    at::Tensor weights = at::ones({n}, x.options());
    if (first == 0) weights[0] = 0.5;
    if (first + n == steps + 1) weights[n - 1] = 0.5;
    const at::Tensor objective = (logits.select(1, out.target) * weights).sum();
    gradient_sum += torch::autograd::grad({objective}, {points})[0].sum(0);
  }
  out.per_token = to_vector((delta * gradient_sum / static_cast<double>(steps)).sum(-1));
  return out;
}

}  // namespace dpt::models
