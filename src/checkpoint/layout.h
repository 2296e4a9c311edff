#pragma once
// How a tensor is laid out in a checkpoint file and split over ranks.
//
// Note [Checkpoint shares]
// A replicated tensor of n elements is stored as one contiguous HDF5 dataset of the tensor's
// own shape (so h5py sees fc1.weight as [256, 784]). Rank r of W writes -- and reads -- the flat
// element range share(n, W, r): near-equal consecutive pieces whose boundaries are rounded to
// 64 KiB of bytes when the tensor is large enough, so ranks never share a file-system block.
// In the file's index space such a range is a union of at most 2·ndim−1 boxes
// (select_flat_range); HDF5 iterates selections in row-major order, so the rank's piece is one
// contiguous memory buffer and one contiguous byte range of the file. Bytes are therefore
// written once, in parallel, and any number of ranks can read them back.
#include <hdf5.h>

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace dpt::checkpoint {

struct Range {
  int64_t begin = 0;  // elements
  int64_t end = 0;
  int64_t size() const { return end - begin; }
};

// Rank `rank`'s piece of `numel` elements of `element_size` bytes split over `ranks` ranks
// (Note [Checkpoint shares]). The pieces of ranks 0..ranks-1 tile [0, numel) in order.
Range share(int64_t numel, int64_t element_size, int ranks, int rank);

// Selects, in the file dataspace `space` of a row-major array of `shape`, the elements whose
// flat indices lie in `range` (replacing any earlier selection; an empty range selects none).
// A scalar dataspace (shape {}) is selected whole for a non-empty range.
void select_flat_range(hid_t space, const std::vector<int64_t>& shape, Range range);

// The dtype names a checkpoint uses (torch's: "float32", "int64", ...), and the HDF5 type a
// tensor of that dtype is stored as (a copy the caller closes). float16 and bfloat16 are stored
// as their uint16 bit patterns; bool as uint8.
std::string dtype_name(at::ScalarType type);
// Throws CheckpointError for a name it does not know.
at::ScalarType dtype_from_name(const std::string& name);
hid_t h5_type_for(at::ScalarType type);

}  // namespace dpt::checkpoint
