#include "models/quantize.h"

#include <ATen/ATen.h>

#include "common/error.h"

namespace dpt::models {

bool is_quantizable(const at::Tensor& weight) { return weight.dim() >= 2 && at::isFloatingType(weight.scalar_type()); }

namespace {

// [C] -> [C, 1, ..., 1]: broadcasts a per-channel vector over a tensor of `dim` dimensions.
at::Tensor per_channel(const at::Tensor& v, int64_t dim) {
  std::vector<int64_t> shape(static_cast<size_t>(dim), 1);
  shape[0] = v.size(0);
  return v.view(shape);
}

}  // namespace

Int8Weight quantize_int8(const at::Tensor& weight) {
  DPT_CHECK(is_quantizable(weight), InternalError, "quantize_int8 needs a floating-point tensor with dim >= 2");
  const at::Tensor w = weight.detach().to(at::kFloat);
  at::Tensor max_abs = std::get<0>(w.abs().reshape({w.size(0), -1}).max(1));
  at::Tensor scales = at::where(max_abs > 0, max_abs / 127.0, at::ones_like(max_abs)).contiguous();
  at::Tensor values = (w / per_channel(scales, w.dim())).round().clamp(-127, 127).to(at::kChar).contiguous();
  return {values, scales};
}

at::Tensor dequantize(const Int8Weight& weight) {
  return weight.values.to(at::kFloat) * per_channel(weight.scales, weight.values.dim());
}

}  // namespace dpt::models
