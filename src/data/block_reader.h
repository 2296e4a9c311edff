#pragma once
// Loads whole blocks of the sample order (Note [Sample order]) from the shards: per run of
// contiguous rows and field, either one HDF5 read into a buffer or, for mapped shards, a
// read-ahead of the run's chunks and pointers into the mapping (Note [Mapped shards]) —
// never one read per sample. The in-block permutation is applied to the row pointers.
#include <cstdint>
#include <utility>
#include <vector>

#include "data/dataset.h"
#include "data/sample_plan.h"

namespace dpt::data {

// One loaded block. Buffers are reused when a BlockData is loaded into again.
struct BlockData {
  int64_t epoch = -1;
  Block block;
  // rows[f][j]: field f of the sample at epoch position block.first_position + j (the
  // permutation applied), pointing into the mapped shard or into copies[f].
  std::vector<std::vector<const uint8_t*>> rows;
  std::vector<int64_t> ids;                  // global sample id at each position of the block
  std::vector<std::vector<uint8_t>> copies;  // per field read through HDF5: rows in sequence order

  // Shard index and row of the sample at block position j, for error messages.
  std::pair<int, int64_t> source_of(int64_t j) const;
};

class BlockReader {
 public:
  // Keeps references: `dataset` and `plan` must outlive the reader.
  BlockReader(Dataset& dataset, const SamplePlan& plan);

  // Loads block `index` of `epoch` into `out`, reusing its buffers. Throws DataError.
  void read(int64_t epoch, int64_t index, BlockData* out);

  // Bytes copied out of shards through H5Dread so far (mapped fields copy nothing here).
  int64_t hdf5_bytes() const { return hdf5_bytes_; }

 private:
  void load_field(size_t field, BlockData* out);

  Dataset& dataset_;
  const SamplePlan& plan_;
  std::vector<const uint8_t*> sequence_;  // scratch: one field's row pointers in sequence order
  std::vector<int64_t> sequence_ids_;     // scratch: the block's global ids in sequence order
  int64_t hdf5_bytes_ = 0;
};

}  // namespace dpt::data
