#include "data/collate.h"

#include <algorithm>
#include <cstring>
#include <sstream>

namespace dpt::data {

// An AVX2 clone picked at load time (an ifunc). Not under sanitizers: their runtime is not up
// yet when the dynamic loader runs an instrumented ifunc resolver, which then crashes.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(__SANITIZE_THREAD__) && \
    !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx2", "default")))
#endif
void pixels_to_float(const uint8_t* in, float* out, int64_t n, float scale, float shift) {
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(in[i]) * scale + shift;
}

int64_t load_label(DType dtype, const void* base, int64_t index) {
  const auto* bytes = static_cast<const unsigned char*>(base);
  switch (dtype) {
    case DType::kUInt8: return bytes[index];
    case DType::kInt32: {
      int32_t v;
      std::memcpy(&v, bytes + index * 4, 4);
      return v;
    }
    case DType::kInt64: {
      int64_t v;
      std::memcpy(&v, bytes + index * 8, 8);
      return v;
    }
    case DType::kFloat32: break;
  }
  return -1;  // not an integer dtype; the manifest check rejects float labels
}

namespace {

template <typename T>
void widen(const uint8_t* const* src, int64_t n, int64_t elements, int64_t* out) {
  for (int64_t r = 0; r < n; ++r) {
    const uint8_t* row = src[r];
    for (int64_t e = 0; e < elements; ++e) {
      T v;
      std::memcpy(&v, row + e * static_cast<int64_t>(sizeof(T)), sizeof(T));
      out[r * elements + e] = static_cast<int64_t>(v);
    }
  }
}

}  // namespace

void widen_rows(DType dtype, const uint8_t* const* src, int64_t n, int64_t elements, int64_t* out) {
  switch (dtype) {
    case DType::kUInt8: return widen<uint8_t>(src, n, elements, out);
    case DType::kInt32: return widen<int32_t>(src, n, elements, out);
    case DType::kInt64: return widen<int64_t>(src, n, elements, out);
    case DType::kFloat32: break;
  }
  std::fill_n(out, n * elements, int64_t{-1});  // not an integer dtype; the manifest check rejects float fields here
}

std::string label_range_message(int64_t value, const FieldSpec& field, const std::string& shard_path, int64_t row) {
  std::ostringstream out;
  out << "label " << value << " out of range [0, " << field.num_classes << ") in field '" << field.name
      << "' of shard '" << shard_path << "', row " << row
      << "; the labels do not match the manifest's num_classes: fix the source data or --class-names and "
         "re-run 'dptrain prepare'";
  return out.str();
}

}  // namespace dpt::data
