// train.precision (Note [Mixed precision]) on the CPU: the guard turns autocast on for its
// scope only, the forward pass computes in bfloat16 while parameters and gradients stay float32,
// and one bf16 training step lands near the fp32 one. The GPU side is in tests/gpu.
#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "models/model.h"
#include "models/precision.h"

namespace dpt::models {
namespace {

config::Config cnn_config(const std::string& precision) {
  config::Config cfg;
  cfg.set("model.type", "cnn");
  cfg.set("model.channels", "4");
  cfg.set("train.precision", precision);
  return cfg;
}

TEST(Precision, ConfigValues) {
  EXPECT_EQ(autocast_dtype_for("fp32"), at::kFloat);
  EXPECT_EQ(autocast_dtype_for("bf16"), at::kBFloat16);
  EXPECT_THROW(autocast_dtype_for("fp8"), ConfigError);
  config::Config cfg;
  EXPECT_EQ(cfg.get_string("train.precision"), "fp32");
  EXPECT_THROW(cfg.set("train.precision", "fp16"), ConfigError);
  EXPECT_EQ(make_model(cnn_config("bf16"), {{8, 8}, 4})->autocast_dtype(), at::kBFloat16);
  EXPECT_EQ(make_model(cnn_config("fp32"), {{8, 8}, 4})->autocast_dtype(), at::kFloat);
}

TEST(Precision, Bf16ForwardKeepsFloat32ParametersAndGradients) {
  auto model = make_model(cnn_config("bf16"), {{8, 8}, 4});
  const at::Tensor x = at::randn({6, 8, 8});
  at::Tensor logits;
  {
    AutocastGuard guard(x.device().type(), model->autocast_dtype());
    logits = model->forward(x);
  }
  EXPECT_EQ(logits.scalar_type(), at::kBFloat16);
  // Outside the guard: plain float32 again.
  EXPECT_EQ(model->forward(x).scalar_type(), at::kFloat);
  logits.to(at::kFloat).sum().backward();
  for (const auto& p : model->parameters()) {
    EXPECT_EQ(p.scalar_type(), at::kFloat);
    ASSERT_TRUE(p.grad().defined());
    EXPECT_EQ(p.grad().scalar_type(), at::kFloat);
  }
}

TEST(Precision, Bf16LogitsTrackFp32) {
  auto model = make_model(cnn_config("bf16"), {{8, 8}, 4});
  const at::Tensor x = at::randn({6, 8, 8});
  const at::Tensor reference = model->forward(x);
  at::Tensor bf16;
  {
    AutocastGuard guard(at::kCPU, at::kBFloat16);
    bf16 = model->forward(x).to(at::kFloat);
  }
  const double scale = reference.abs().max().item<double>();
  const double diff = (bf16 - reference).abs().max().item<double>();
  EXPECT_GT(diff, 0.0) << "autocast had no effect";
  EXPECT_LT(diff / scale, 0.05);
}

TEST(Precision, Fp32GuardDoesNothing) {
  AutocastGuard guard(at::kCPU, at::kFloat);
  const at::Tensor a = at::randn({4, 4}), b = at::randn({4, 4});
  EXPECT_EQ(at::mm(a, b).scalar_type(), at::kFloat);
}

}  // namespace
}  // namespace dpt::models
