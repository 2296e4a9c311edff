#include "checkpoint/layout.h"

#include <algorithm>

#include "checkpoint/h5_util.h"
#include "common/error.h"

namespace dpt::checkpoint {
namespace {

constexpr int64_t kAlignBytes = int64_t{64} << 10;

// Adds the boxes covering flat range [a, b) of the sub-array at dimension `dim` (the leading
// coordinates are fixed in start[0..dim)) to the selection of `space`.
void add_boxes(hid_t space, const std::vector<hsize_t>& shape, size_t dim, std::vector<hsize_t>& start,
               hsize_t a, hsize_t b, bool* first) {
  if (a >= b) return;
  hsize_t inner = 1;
  for (size_t d = dim + 1; d < shape.size(); ++d) inner *= shape[d];
  auto add = [&](hsize_t row, hsize_t rows) {
    std::vector<hsize_t> box_start(start), count(shape.size(), 1);
    box_start[dim] = row;
    count[dim] = rows;
    for (size_t d = dim + 1; d < shape.size(); ++d) {
      box_start[d] = 0;
      count[d] = shape[d];
    }
    DPT_CKPT_H5(H5Sselect_hyperslab(space, *first ? H5S_SELECT_SET : H5S_SELECT_OR, box_start.data(), nullptr,
                                    count.data(), nullptr));
    *first = false;
  };
  if (a % inner != 0) {  // a partial leading row
    const hsize_t row = a / inner;
    const hsize_t row_end = std::min(b, (row + 1) * inner);
    start[dim] = row;
    add_boxes(space, shape, dim + 1, start, a - row * inner, row_end - row * inner, first);
    a = row_end;
  }
  if (a / inner < b / inner) {  // whole rows
    add(a / inner, b / inner - a / inner);
    a = (b / inner) * inner;
  }
  if (a < b) {  // a partial trailing row
    const hsize_t row = a / inner;
    start[dim] = row;
    add_boxes(space, shape, dim + 1, start, 0, b - row * inner, first);
  }
}

}  // namespace

Range share(int64_t numel, int64_t element_size, int ranks, int rank) {
  const int64_t align = std::max<int64_t>(1, kAlignBytes / std::max<int64_t>(1, element_size));
  // Whole aligned units are dealt out; the remainder (less than a unit) goes to the last rank.
  const int64_t unit = numel >= align * ranks ? align : 1;
  const int64_t units = numel / unit;
  auto boundary = [&](int r) {
    if (r == ranks) return numel;
    return unit * (units / ranks * r + std::min<int64_t>(r, units % ranks));
  };
  return {boundary(rank), boundary(rank + 1)};
}

void select_flat_range(hid_t space, const std::vector<int64_t>& shape, Range range) {
  if (range.size() <= 0) {
    DPT_CKPT_H5(H5Sselect_none(space));
    return;
  }
  if (shape.empty()) {
    DPT_CKPT_H5(H5Sselect_all(space));
    return;
  }
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  std::vector<hsize_t> start(dims.size(), 0);
  bool first = true;
  add_boxes(space, dims, 0, start, static_cast<hsize_t>(range.begin), static_cast<hsize_t>(range.end), &first);
}

std::string dtype_name(at::ScalarType type) {
  switch (type) {
    case at::kFloat: return "float32";
    case at::kDouble: return "float64";
    case at::kHalf: return "float16";
    case at::kBFloat16: return "bfloat16";
    case at::kLong: return "int64";
    case at::kInt: return "int32";
    case at::kShort: return "int16";
    case at::kChar: return "int8";
    case at::kByte: return "uint8";
    case at::kBool: return "bool";
    default: break;
  }
  DPT_THROW(CheckpointError, "a tensor of dtype " << at::toString(type) << " cannot be checkpointed");
}

at::ScalarType dtype_from_name(const std::string& name) {
  for (at::ScalarType t : {at::kFloat, at::kDouble, at::kHalf, at::kBFloat16, at::kLong, at::kInt, at::kShort,
                           at::kChar, at::kByte, at::kBool}) {
    if (dtype_name(t) == name) return t;
  }
  DPT_THROW(CheckpointError, "unknown tensor dtype '" << name << "' in a checkpoint manifest");
}

hid_t h5_type_for(at::ScalarType type) {
  switch (type) {
    case at::kFloat: return H5Tcopy(H5T_NATIVE_FLOAT);
    case at::kDouble: return H5Tcopy(H5T_NATIVE_DOUBLE);
    case at::kHalf:
    case at::kBFloat16: return H5Tcopy(H5T_NATIVE_UINT16);
    case at::kLong: return H5Tcopy(H5T_NATIVE_INT64);
    case at::kInt: return H5Tcopy(H5T_NATIVE_INT32);
    case at::kShort: return H5Tcopy(H5T_NATIVE_INT16);
    case at::kChar: return H5Tcopy(H5T_NATIVE_INT8);
    case at::kByte:
    case at::kBool: return H5Tcopy(H5T_NATIVE_UINT8);
    default: break;
  }
  DPT_THROW(CheckpointError, "a tensor of dtype " << at::toString(type) << " cannot be checkpointed");
}

}  // namespace dpt::checkpoint
