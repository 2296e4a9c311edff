#pragma once
// A micro-batch as the loader hands it out, and the collation that builds one from loaded
// blocks. Note [Pixels stay bytes]: image fields leave the loader as the uint8 bytes of the
// shards; input_on() normalizes them on the device that runs the model. The loader's work per
// sample is then one copy of its bytes (a float32 batch would be 4x the bytes to write and, on
// a GPU, 4x the bytes to send), and the conversion runs where it is cheapest: one vectorized
// pass on the CPU, or on the GPU after a 4x smaller transfer.
#include <ATen/core/Tensor.h>
#include <c10/core/Storage.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "data/block_reader.h"
#include "data/manifest.h"

namespace dpt::data {

struct Batch {
  int64_t epoch = 0;
  int64_t step = 0;        // global step within the epoch
  int64_t micro_step = 0;  // 0 .. micro_steps-1 within the step
  bool last_micro_step = false;  // the optimizer steps after this one
  bool last_step = false;        // the last step of the epoch
  int64_t first_position = 0;    // epoch position of row 0
  int64_t valid = 0;             // real samples; rows [valid, size) are evaluation padding

  // One tensor per manifest field, [b, per-sample shape...]: image fields uint8 as stored,
  // label and other integer fields int64, float32 fields float32. They and `mask` are views
  // of the slab of the batch's run (Note [Batch runs]): a batch kept keeps the slab, ~512 KiB.
  std::map<std::string, at::Tensor> fields;
  at::Tensor input;  // the first non-label field (the model input, as stored: see input_on)
  at::Tensor label;  // the label field; undefined when the dataset has none
  at::Tensor mask;   // float32 [b]: 1 for a real sample, 0 for padding
  std::vector<int64_t> sample_ids;  // global sample id of each row (manifest order), -1 = padding

  // Image fields become (x/255 - pixel_mean)/pixel_std in input_on().
  float pixel_scale = 1.0f / 255;  // 1/(255·pixel_std)
  float pixel_shift = 0.0f;        // -pixel_mean/pixel_std

  int64_t size() const { return static_cast<int64_t>(sample_ids.size()); }

  // The model input on `device`: an image field normalized to float32 there (Note [Pixels stay
  // bytes]), any other field moved as it is.
  at::Tensor input_on(const at::Device& device) const;
};

// Room for the rows of a run of micro-batches: one tensor per manifest field and the mask, each
// [rows, per-sample shape...], all in one buffer. The batches built into it are views of its
// rows (Note [Batch runs], loader.cc), so a run costs at most one allocation, not one per
// batch and field.
struct BatchSlab {
  std::vector<at::Tensor> fields;  // in manifest order
  at::Tensor mask;
  int64_t used = 0;  // rows handed to batches so far
};

// Builds batches from loaded blocks. Thread-compatible: one builder per thread.
class BatchBuilder {
 public:
  // `shard_paths` name the shards in errors. Batches carry the pixel normalization
  // (x/255 - pixel_mean)/pixel_std for Batch::input_on.
  BatchBuilder(const Manifest& manifest, std::vector<std::string> shard_paths, float pixel_mean, float pixel_std);

  // Bytes of a slab of `rows` rows: every field and the mask, each 64-byte aligned.
  int64_t slab_bytes(int64_t rows) const;
  // The slab of `rows` rows laid out in `storage` (of slab_bytes(rows) bytes).
  BatchSlab slab_in(const c10::Storage& storage, int64_t rows) const;

  // The batch of epoch positions [first, first + count); positions >= total are padding. Its
  // tensors are the next `count` rows of `slab` (InternalError when it has no room left).
  // `block_at(k)` returns loaded block k of the epoch (k = position / block_size), loading it
  // if needed. Throws DataError for a label outside [0, num_classes), naming shard and row.
  Batch build(int64_t first, int64_t count, int64_t total, int64_t block_size,
              const std::function<const BlockData&(int64_t)>& block_at, BatchSlab& slab) const;

 private:
  // Converts block positions [j, j + n) of field f into rows [i, i + n) of `out`.
  void convert(size_t f, const BlockData& block, int64_t j, int64_t n, at::Tensor& out, int64_t i) const;

  const Manifest& manifest_;
  std::vector<std::string> shard_paths_;
  float scale_, shift_;
};

// The slab buffers of one worker, each reused once no batch refers to it any more: its rows
// are then free to overwrite, and a run costs no allocation at all (Note [Slab reuse]).
class SlabPool {
 public:
  // Slabs of `rows` rows from `builder`; keeps at most `max_buffers` buffers (further slabs
  // are allocated for one use).
  SlabPool(const BatchBuilder& builder, int64_t rows, size_t max_buffers);
  // A slab that no batch uses, with used = 0: in a kept buffer when one is free, else a new one.
  BatchSlab take();

  struct Buffer;

 private:
  const BatchBuilder& builder_;
  int64_t rows_;
  size_t max_buffers_;
  std::vector<std::shared_ptr<Buffer>> buffers_;
};

}  // namespace dpt::data
