#include "data/block_reader.h"

#include "common/error.h"

namespace dpt::data {

std::pair<int, int64_t> BlockData::source_of(int64_t j) const {
  int64_t row = block.order[static_cast<size_t>(j)];
  for (const RowRun& run : block.runs) {
    if (row < run.count) return {run.shard, run.first + row};
    row -= run.count;
  }
  DPT_THROW(InternalError, "position " << j << " outside block " << block.index);
}

BlockReader::BlockReader(Dataset& dataset, const SamplePlan& plan) : dataset_(dataset), plan_(plan) {}

void BlockReader::read(int64_t epoch, int64_t index, BlockData* out) {
  out->epoch = epoch;
  out->block = plan_.block(epoch, index);
  const Block& b = out->block;
  const size_t fields = dataset_.manifest().fields.size();
  out->rows.resize(fields);
  out->copies.resize(fields);
  for (size_t f = 0; f < fields; ++f) load_field(f, out);
  // Global ids: sequence order first, then permuted like the rows.
  sequence_ids_.clear();
  for (const RowRun& run : b.runs) {
    const int64_t offset = plan_.shard_offsets()[static_cast<size_t>(run.shard)] + run.first;
    for (int64_t i = 0; i < run.count; ++i) sequence_ids_.push_back(offset + i);
  }
  out->ids.resize(static_cast<size_t>(b.size));
  for (size_t j = 0; j < out->ids.size(); ++j) out->ids[j] = sequence_ids_[b.order[j]];
}

void BlockReader::load_field(size_t f, BlockData* out) {
  const Block& b = out->block;
  const int64_t row_bytes = dataset_.manifest().fields[f].sample_bytes();
  bool mapped = true;
  for (const RowRun& run : b.runs) mapped = mapped && dataset_.shard(static_cast<size_t>(run.shard)).is_mapped(f);
  sequence_.resize(static_cast<size_t>(b.size));
  size_t k = 0;
  if (mapped) {
    // Ask for the whole block first, so that the kernel reads it sequentially (Note [Mapped shards]).
    for (const RowRun& run : b.runs) dataset_.shard(static_cast<size_t>(run.shard)).will_need(f, run.first, run.count);
    for (const RowRun& run : b.runs) {
      dataset_.shard(static_cast<size_t>(run.shard)).mapped_rows(f, run.first, run.count, sequence_.data() + k);
      k += static_cast<size_t>(run.count);
    }
  } else {
    std::vector<uint8_t>& copy = out->copies[f];
    copy.resize(static_cast<size_t>(b.size * row_bytes));  // keeps its capacity: no allocation after the first block
    for (const RowRun& run : b.runs) {
      uint8_t* dst = copy.data() + static_cast<int64_t>(k) * row_bytes;
      dataset_.shard(static_cast<size_t>(run.shard)).read_rows(f, run.first, run.count, dst);
      for (int64_t i = 0; i < run.count; ++i) sequence_[k++] = dst + i * row_bytes;
    }
    hdf5_bytes_ += b.size * row_bytes;
  }
  std::vector<const uint8_t*>& rows = out->rows[f];
  rows.resize(static_cast<size_t>(b.size));
  for (size_t j = 0; j < rows.size(); ++j) rows[j] = sequence_[b.order[j]];
}

}  // namespace dpt::data
