// Integrated gradients (models/integrated_gradients.h): completeness -- the attributions of a
// sequence's tokens sum to F(input) − F(baseline) -- on a bert classifier whose weights are
// scaled up so that the logit is far from linear in the embeddings (a linear F would satisfy
// completeness with any step count and prove little).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <numeric>

#include "common/error.h"
#include "models/integrated_gradients.h"

namespace dpt::models {
namespace {

std::shared_ptr<Bert> nonlinear_bert() {
  config::Config cfg;
  cfg.set("model.type", "bert");
  cfg.set("model.hidden", "16");
  cfg.set("model.layers", "2");
  cfg.set("model.heads", "2");
  cfg.set("model.max_len", "12");
  cfg.set("train.seed", "4");
  auto model = std::dynamic_pointer_cast<Bert>(make_model(cfg, InputSpec{{12}, 3, 120, 0}));
  at::NoGradGuard no_grad;
  at::Generator gen = at::detail::createCPUGenerator(8);
  for (auto& p : model->parameters()) {
    if (p.dim() == 2) p.copy_(at::randn(p.sizes(), gen) * 0.5);
  }
  model->eval();
  return model;
}

double sum(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

TEST(IntegratedGradients, AttributionsSumToTheLogitDifference) {
  auto model = nonlinear_bert();
  const at::Tensor ids = at::tensor({101, 7, 23, 9, 31, 102, 0, 0, 0, 0}, at::kLong).unsqueeze(0);
  const at::Tensor mask = ids.ne(0).to(at::kLong);
  for (int64_t target : {-1, 0, 2}) {
    const Attributions a = integrated_gradients(*model, ids, mask, target, 256);
    const double difference = a.logit - a.baseline_logit;
    ASSERT_GT(std::abs(difference), 0.02) << "a sizable difference to explain";
    EXPECT_NEAR(sum(a.per_token), difference, 0.005 * std::abs(difference)) << "target " << a.target;
    for (size_t i = 6; i < a.per_token.size(); ++i) EXPECT_EQ(a.per_token[i], 0.0) << "padding position " << i;
    EXPECT_NEAR(sum(a.probabilities), 1.0, 1e-9);
  }
  // The predicted class by default, and the logit is the model's own.
  const Attributions predicted = integrated_gradients(*model, ids, mask, -1, 8);
  const at::Tensor logits = model->forward(ids)[0].detach();
  EXPECT_EQ(predicted.target, logits.argmax().item<int64_t>());
  EXPECT_NEAR(predicted.logit, logits[predicted.target].item<double>(), 1e-5);
  // Few steps integrate worse than many: the check above is not vacuous.
  const Attributions coarse = integrated_gradients(*model, ids, mask, 0, 1);
  EXPECT_GT(std::abs(sum(coarse.per_token) - (coarse.logit - coarse.baseline_logit)), 0.005 * std::abs(coarse.logit - coarse.baseline_logit));
  EXPECT_THROW(integrated_gradients(*model, ids, mask, 5, 8), ConfigError);
}

}  // namespace
}  // namespace dpt::models
