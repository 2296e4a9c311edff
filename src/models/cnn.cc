#include "models/cnn.h"

#include <torch/nn/functional/activation.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

namespace dpt::models {
namespace {

torch::nn::Conv2d conv3x3(int64_t in, int64_t out, int64_t stride) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false));
}

torch::nn::GroupNorm norm(int64_t channels) {
  return torch::nn::GroupNorm(torch::nn::GroupNormOptions(std::min<int64_t>(8, channels), channels));
}

// Normalization runs in float32 under bf16 autocast (Note [Mixed precision]). CUDA autocast
// casts group_norm's input itself; CPU autocast in LibTorch 1.13 does not, and its group_norm
// rejects a bfloat16 input with float32 weights, so the cast is explicit. float32/float64 pass.
at::Tensor float32(const at::Tensor& x) {
  const auto t = x.scalar_type();
  return t == at::kBFloat16 || t == at::kHalf ? x.to(at::kFloat) : x;
}

// conv → norm → relu
class ConvBlockImpl : public torch::nn::Module {
 public:
  ConvBlockImpl(int64_t in, int64_t out, int64_t stride)
      : conv_(register_module("conv", conv3x3(in, out, stride))), norm_(register_module("norm", norm(out))) {}
  at::Tensor forward(const at::Tensor& x) { return torch::relu(norm_->forward(float32(conv_->forward(x)))); }

 private:
  torch::nn::Conv2d conv_;
  torch::nn::GroupNorm norm_;
};
TORCH_MODULE(ConvBlock);

// x + norm(conv(relu(norm(conv(x))))) → relu
class ResidualBlockImpl : public torch::nn::Module {
 public:
  explicit ResidualBlockImpl(int64_t c)
      : conv1_(register_module("conv1", conv3x3(c, c, 1))), norm1_(register_module("norm1", norm(c))),
        conv2_(register_module("conv2", conv3x3(c, c, 1))), norm2_(register_module("norm2", norm(c))) {}
  at::Tensor forward(const at::Tensor& x) {
    at::Tensor h = torch::relu(norm1_->forward(float32(conv1_->forward(x))));
    return torch::relu(x + norm2_->forward(float32(conv2_->forward(h))));
  }

 private:
  torch::nn::Conv2d conv1_;
  torch::nn::GroupNorm norm1_;
  torch::nn::Conv2d conv2_;
  torch::nn::GroupNorm norm2_;
};
TORCH_MODULE(ResidualBlock);

}  // namespace

Cnn::Cnn(int64_t in_channels, int64_t height, int64_t width, int64_t channels, int64_t classes) {
  const int64_t c = channels;
  auto halved = [](int64_t n) { return (n + 1) / 2; };  // a 3×3 stride-2 conv with padding 1
  features_ = register_module(
      "features", torch::nn::Sequential(ConvBlock(in_channels, c, 1), ResidualBlock(c), ConvBlock(c, 2 * c, 2),
                                        ResidualBlock(2 * c), ConvBlock(2 * c, 4 * c, 2), ResidualBlock(4 * c)));
  head_ = register_module("head", torch::nn::Linear(4 * c * halved(halved(height)) * halved(halved(width)), classes));
}

at::Tensor Cnn::forward(const at::Tensor& x) {
  at::Tensor h = x.dim() == 3 ? x.unsqueeze(1) : x;  // [B, H, W] → [B, 1, H, W]
  h = features_->forward(h);
  return head_->forward(h.flatten(1));
}

}  // namespace dpt::models
