#pragma once
// Per-channel symmetric int8 quantization of weights (dptrain export --quantize int8).
//
// Note [Int8 weights]
// A weight of shape [C, ...] (Linear [out, in], Conv [out, in, kh, kw], Embedding [rows, dim])
// is stored as int8 values q and one float32 scale per channel c (index along dim 0):
//   scale_c = max |w_c| / 127 (1 when the channel is all zeros),  q = round(w / scale_c) in [-127, 127],
// and read back as q · scale_c. Every element is off by at most scale_c / 2. -128 is never used,
// so the range is symmetric. Vectors (biases, normalization weights) stay float32: they are few
// and sensitive.
#include <ATen/core/Tensor.h>

namespace dpt::models {

struct Int8Weight {
  at::Tensor values;  // int8, the weight's shape
  at::Tensor scales;  // float32, [C]
};

// True for the tensors export quantizes: floating point with two or more dimensions.
bool is_quantizable(const at::Tensor& weight);

// Quantizes `weight` (floating point, dim >= 2) per channel along dim 0 (Note [Int8 weights]).
Int8Weight quantize_int8(const at::Tensor& weight);

// The float32 weight q · scale_c.
at::Tensor dequantize(const Int8Weight& weight);

}  // namespace dpt::models
