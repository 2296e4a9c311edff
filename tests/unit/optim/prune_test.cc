// Note [Gradual pruning]: the cubic schedule, global magnitude masks that only grow, weights and
// gradients kept at zero, the sparsity report.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "optim/prune.h"

namespace dpt::optim {
namespace {

TEST(PruneSchedule, CubicFromStartToEnd) {
  const PruneSchedule s{0.8, 10, 110, 10};
  EXPECT_EQ(s.at(0), 0.0);
  EXPECT_EQ(s.at(10), 0.0);
  EXPECT_NEAR(s.at(60), 0.8 * (1 - 0.125), 1e-12);  // halfway: 1 - (1/2)^3
  EXPECT_NEAR(s.at(110), 0.8, 1e-12);
  EXPECT_NEAR(s.at(500), 0.8, 1e-12);
  for (int64_t t = 10; t < 110; ++t) EXPECT_LE(s.at(t), s.at(t + 1));
}

TEST(PruneSchedule, FromConfigWithDefaultEndAndErrors) {
  config::Config cfg;
  cfg.set("prune.sparsity", "0.5");
  cfg.set("prune.start_step", "20");
  const PruneSchedule s = prune_schedule(cfg, 100);
  EXPECT_EQ(s.end, 80);  // 20 + (100 - 20) * 3/4
  cfg.set("prune.end_step", "200");
  EXPECT_THROW(prune_schedule(cfg, 100), dpt::ConfigError);
  cfg.set("prune.end_step", "0");
  cfg.set("prune.sparsity", "1");
  EXPECT_THROW(prune_schedule(cfg, 100), dpt::ConfigError);
}

TEST(MagnitudePruner, GlobalMasksGrowAndStayZero) {
  at::manual_seed(1);
  // Two weight matrices of different scales (global pruning takes more from the small one) and a
  // bias, which is never pruned.
  std::vector<at::Tensor> params = {(at::randn({20, 10}) * 0.1).requires_grad_(), at::randn({10, 10}).requires_grad_(),
                                    at::randn({10}).requires_grad_()};
  MagnitudePruner pruner({"small", "large", "bias"}, params, PruneSchedule{0.6, 0, 4, 2});
  ASSERT_EQ(pruner.names(), (std::vector<std::string>{"small", "large"}));
  std::vector<at::Tensor> before;
  for (int64_t step = 1; step <= 6; ++step) {
    {  // an "update" that would regrow every weight
      at::NoGradGuard no_grad;
      for (auto& p : params) p.add_(0.01);
    }
    pruner.after_step(step);
    if (!before.empty()) {
      for (size_t i = 0; i < 2; ++i) EXPECT_TRUE(pruner.masks()[i].le(before[i]).all().item<bool>()) << "a mask shrank";
    }
    before = {pruner.masks()[0].clone(), pruner.masks()[1].clone()};
    for (size_t i = 0; i < 2; ++i) {
      EXPECT_TRUE(params[i].detach().masked_select(pruner.masks()[i].eq(0)).eq(0).all().item<bool>());
    }
  }
  const auto report = pruner.sparsity();
  ASSERT_EQ(report.size(), 3u);
  EXPECT_EQ(report[2].name, "total");
  EXPECT_EQ(report[2].numel, 300);
  EXPECT_EQ(report[2].zeros, 180);  // floor(0.6 · 300), reached at step 4 and held
  EXPECT_GT(report[0].zeros, report[1].zeros * 2);
  EXPECT_EQ(params[2].detach().eq(0).sum().item<int64_t>(), 0);

  for (auto& p : params) p.mutable_grad() = at::ones_like(p);
  pruner.mask_gradients();
  EXPECT_EQ(params[0].grad().eq(0).sum().item<int64_t>(), report[0].zeros);
  EXPECT_EQ(params[2].grad().eq(0).sum().item<int64_t>(), 0);
}

// Embedding tables (bert's names) are left alone unless prune.embeddings asks for them.
TEST(MagnitudePruner, EmbeddingTablesOnlyOnRequest) {
  std::vector<at::Tensor> params = {at::randn({50, 8}), at::randn({8, 8}), at::randn({16, 8})};
  const std::vector<std::string> names = {"bert.embeddings.word_embeddings.weight",
                                          "bert.encoder.layer.0.attention.self.query.weight",
                                          "bert.embeddings.position_embeddings.weight"};
  EXPECT_EQ(MagnitudePruner(names, params, PruneSchedule{0.5, 0, 4, 2}).names(),
            (std::vector<std::string>{names[1]}));
  PruneStructure with_embeddings;
  with_embeddings.embeddings = true;
  EXPECT_EQ(MagnitudePruner(names, params, PruneSchedule{0.5, 0, 4, 2}, with_embeddings).names(), names);
}

}  // namespace
}  // namespace dpt::optim
