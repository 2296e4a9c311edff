#pragma once
// The element kernels of batch collation: pixels to normalized floats, labels to int64 with
// their range check. The loader applies them row by row as it copies samples into a batch.
#include <cstdint>
#include <string>

#include "data/dtype.h"
#include "data/manifest.h"

namespace dpt::data {

// out[i] = in[i] * scale + shift for i < n. With scale = 1/(255·std) and shift = -mean/std this
// is (in/255 - mean)/std. Vectorized (AVX2 when the CPU has it).
void pixels_to_float(const uint8_t* in, float* out, int64_t n, float scale, float shift);

// Element `index` of an integer array of `dtype` at `base`, widened to int64.
int64_t load_label(DType dtype, const void* base, int64_t index);

// Rows src[0 .. n) of `elements` integers of `dtype` each, widened to int64 into out[0 .. n·elements).
void widen_rows(DType dtype, const uint8_t* const* src, int64_t n, int64_t elements, int64_t* out);

// The one-line error for a label outside [0, num_classes): value, field, shard file, row, and
// what to do.
std::string label_range_message(int64_t value, const FieldSpec& field, const std::string& shard_path, int64_t row);

}  // namespace dpt::data
