// Note [Int8 weights]: per-channel round-trip error bounds and the int8 range.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "models/quantize.h"

namespace dpt::models {
namespace {

TEST(Quantize, RoundTripWithinHalfAScalePerChannel) {
  at::manual_seed(5);
  // Channels of very different magnitudes: a per-tensor scale would wipe out the small ones.
  at::Tensor w = at::randn({6, 3, 3, 3}) * at::tensor({1e-3, 1e-1, 1.0, 10.0, 100.0, 0.5}).view({6, 1, 1, 1});
  const Int8Weight q = quantize_int8(w);
  EXPECT_EQ(q.values.scalar_type(), at::kChar);
  EXPECT_EQ(q.values.sizes(), w.sizes());
  ASSERT_EQ(q.scales.numel(), 6);
  const at::Tensor back = dequantize(q);
  for (int64_t c = 0; c < 6; ++c) {
    const double max_abs = w[c].abs().max().item<double>();
    const float scale = q.scales[c].item<float>();
    EXPECT_NEAR(scale, max_abs / 127.0, max_abs * 1e-6);
    const double error = (back[c] - w[c]).abs().max().item<double>();
    EXPECT_LE(error, scale / 2 * (1 + 1e-5)) << "channel " << c;
    // The largest element of every channel maps to +-127 exactly.
    EXPECT_EQ(q.values[c].abs().max().item<int>(), 127);
  }
  EXPECT_GE(q.values.min().item<int>(), -127);
}

TEST(Quantize, ZeroChannelsAndLinearWeights) {
  at::Tensor w = at::randn({4, 5});
  w[2].zero_();
  const Int8Weight q = quantize_int8(w);
  EXPECT_EQ(q.scales[2].item<float>(), 1.0f);
  EXPECT_TRUE(dequantize(q)[2].eq(0).all().item<bool>());
  EXPECT_LE((dequantize(q) - w).abs().max().item<double>(), q.scales.max().item<double>() / 2 * (1 + 1e-5));
  EXPECT_TRUE(is_quantizable(w));
  EXPECT_FALSE(is_quantizable(at::randn({5})));
  EXPECT_FALSE(is_quantizable(at::zeros({3, 3}, at::kLong)));
}

}  // namespace
}  // namespace dpt::models
