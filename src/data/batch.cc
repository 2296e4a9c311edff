#include "data/batch.h"

#include <ATen/ATen.h>
#include <c10/core/TensorImpl.h>
#include <c10/util/DimVector.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <new>

#include "common/error.h"
#include "data/collate.h"

namespace dpt::data {
namespace {

inline void prefetch_row(const uint8_t* row, int64_t bytes) {
  for (int64_t b = 0; b < bytes; b += 64) __builtin_prefetch(row + b);
}

// Note [Slab views]
// A [rows, shape...] tensor of `type` at byte `offset` of `storage` (offset aligned to the type):
// what narrow() or from_blob() would return, built without the operator dispatcher (~0.1 us
// instead of ~1 us; a batch has 3 or more). Like at::from_blob, it makes the TensorImpl
// directly. It has its own version counter and no autograd view link: batches are data, never
// differentiated. The storage lives while any tensor on it does (Note [Slab reuse]).
at::Tensor tensor_in(const c10::Storage& storage, int64_t offset, at::ScalarType type, int64_t rows,
                     c10::IntArrayRef shape) {
  c10::DimVector sizes{rows};
  sizes.append(shape.begin(), shape.end());
  auto impl = c10::make_intrusive<c10::TensorImpl>(c10::Storage(storage), c10::DispatchKeySet(c10::DispatchKey::CPU),
                                                   c10::scalarTypeToTypeMeta(type));
  impl->set_storage_offset(offset / static_cast<int64_t>(c10::elementSize(type)));
  impl->set_sizes_contiguous(sizes);
  return at::Tensor(std::move(impl));
}

// Rows [first, first + count) of a contiguous slab tensor, as a tensor of their own.
at::Tensor rows_of(const at::Tensor& slab, int64_t first, int64_t count) {
  const int64_t row_elements = slab.numel() / slab.size(0);
  return tensor_in(slab.storage(), (slab.storage_offset() + first * row_elements) * slab.element_size(),
                   slab.scalar_type(), count, slab.sizes().slice(1));
}

at::ScalarType output_type(const FieldSpec& field) {
  if (field.role == FieldRole::kImage) return at::kByte;
  if (field.dtype == DType::kFloat32) return at::kFloat;
  return at::kLong;
}

}  // namespace

BatchBuilder::BatchBuilder(const Manifest& manifest, std::vector<std::string> shard_paths, float pixel_mean,
                           float pixel_std)
    : manifest_(manifest),
      shard_paths_(std::move(shard_paths)),
      scale_(1.0f / (255.0f * pixel_std)),
      shift_(-pixel_mean / pixel_std) {
  DPT_CHECK(pixel_std > 0, ConfigError, "data.pixel_std must be > 0, got " << pixel_std);
}

namespace {

constexpr int64_t kSlabAlign = 64;

int64_t aligned(int64_t bytes) { return (bytes + kSlabAlign - 1) / kSlabAlign * kSlabAlign; }

int64_t field_bytes(const FieldSpec& spec, int64_t rows) {
  return aligned(rows * spec.sample_elements() * static_cast<int64_t>(c10::elementSize(output_type(spec))));
}

}  // namespace

int64_t BatchBuilder::slab_bytes(int64_t rows) const {
  int64_t bytes = aligned(rows * static_cast<int64_t>(sizeof(float)));  // the mask
  for (const FieldSpec& spec : manifest_.fields) bytes += field_bytes(spec, rows);
  return bytes;
}

BatchSlab BatchBuilder::slab_in(const c10::Storage& storage, int64_t rows) const {
  BatchSlab slab;
  int64_t offset = 0;
  for (const FieldSpec& spec : manifest_.fields) {
    slab.fields.push_back(tensor_in(storage, offset, output_type(spec), rows, spec.shape));
    offset += field_bytes(spec, rows);
  }
  slab.mask = tensor_in(storage, offset, at::kFloat, rows, {});
  return slab;
}

// Note [Slab reuse]
// A worker may rewrite a slab's buffer only after the consumer has let go of every batch in it.
// Each use of a buffer gets a fresh storage whose deleter (release_buffer) marks the buffer
// free, with release order, when the storage's last tensor is gone, on whichever thread drops
// it. take() reuses a buffer it sees free (acquire order), so the consumer's last reads of the
// rows happen before they are rewritten. ThreadSanitizer sees this pair: both ends are our code
// (LibTorch's reference counts between them are not instrumented; checking use_count() instead
// made it report the rewrite as a race). A buffer outlives its pool while batches use it: the
// storage's deleter holds a reference.
struct SlabPool::Buffer {
  explicit Buffer(int64_t size)
      : bytes(static_cast<size_t>(size)), data(::operator new(bytes, std::align_val_t{kSlabAlign})) {}
  ~Buffer() { ::operator delete(data, std::align_val_t{kSlabAlign}); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  size_t bytes;
  void* data;
  std::atomic<bool> in_use{false};
};

namespace {

void release_buffer(void* context) {
  auto* buffer = static_cast<std::shared_ptr<SlabPool::Buffer>*>(context);
  (*buffer)->in_use.store(false, std::memory_order_release);
  delete buffer;
}

}  // namespace

SlabPool::SlabPool(const BatchBuilder& builder, int64_t rows, size_t max_buffers)
    : builder_(builder), rows_(rows), max_buffers_(max_buffers) {}

BatchSlab SlabPool::take() {
  std::shared_ptr<Buffer> buffer;
  for (const std::shared_ptr<Buffer>& b : buffers_) {
    if (!b->in_use.load(std::memory_order_acquire)) {
      buffer = b;
      break;
    }
  }
  if (!buffer) {
    buffer = std::make_shared<Buffer>(builder_.slab_bytes(rows_));
    if (buffers_.size() < max_buffers_) buffers_.push_back(buffer);
  }
  buffer->in_use.store(true, std::memory_order_relaxed);  // from now on only release_buffer clears it
  void* data = buffer->data;
  const size_t bytes = buffer->bytes;
  c10::DataPtr ptr(data, new std::shared_ptr<Buffer>(std::move(buffer)), &release_buffer, at::Device(at::kCPU));
  return builder_.slab_in(c10::Storage(c10::Storage::use_byte_size_t(), bytes, std::move(ptr)), rows_);
}

Batch BatchBuilder::build(int64_t first, int64_t count, int64_t total, int64_t block_size,
                          const std::function<const BlockData&(int64_t)>& block_at, BatchSlab& slab) const {
  DPT_CHECK(slab.used + count <= slab.mask.size(0), InternalError,
            "batch slab of " << slab.mask.size(0) << " rows has no room for " << count << " more");
  Batch batch;
  batch.pixel_scale = scale_;
  batch.pixel_shift = shift_;
  batch.first_position = first;
  batch.valid = std::max<int64_t>(0, std::min(count, total - first));
  std::vector<at::Tensor> outs;
  outs.reserve(slab.fields.size());
  for (const at::Tensor& field : slab.fields) outs.push_back(rows_of(field, slab.used, count));
  batch.mask = rows_of(slab.mask, slab.used, count);
  slab.used += count;
  batch.sample_ids.assign(static_cast<size_t>(count), -1);
  // Walk the range block by block: one block lookup per block segment, not per row.
  for (int64_t position = first; position < first + batch.valid;) {
    const BlockData& b = block_at(position / block_size);
    const int64_t j = position - b.block.first_position;
    const int64_t n = std::min(first + batch.valid, b.block.first_position + b.block.size) - position;
    const int64_t i = position - first;
    for (size_t f = 0; f < outs.size(); ++f) convert(f, b, j, n, outs[f], i);
    std::copy_n(b.ids.begin() + j, n, batch.sample_ids.begin() + i);
    position += n;
  }
  float* mask = batch.mask.data_ptr<float>();
  for (int64_t i = 0; i < count; ++i) mask[i] = i < batch.valid ? 1.0f : 0.0f;
  for (size_t f = 0; f < outs.size(); ++f) {
    at::Tensor& out = outs[f];
    if (batch.valid < count) {  // evaluation padding: zeros
      const int64_t row_bytes = out.numel() / count * static_cast<int64_t>(out.element_size());
      std::memset(static_cast<char*>(out.data_ptr()) + batch.valid * row_bytes, 0,
                  static_cast<size_t>((count - batch.valid) * row_bytes));
    }
    const FieldSpec& spec = manifest_.fields[f];
    if (spec.role == FieldRole::kLabel) batch.label = out;
    else if (!batch.input.defined()) batch.input = out;
    batch.fields.emplace(spec.name, out);
  }
  return batch;
}

at::Tensor Batch::input_on(const at::Device& device) const {
  if (input.scalar_type() != at::kByte) return input.to(device);
  if (!device.is_cpu()) return input.to(device).to(at::kFloat).mul_(pixel_scale).add_(pixel_shift);
  at::Tensor out = at::empty(input.sizes(), at::kFloat);
  pixels_to_float(input.data_ptr<uint8_t>(), out.data_ptr<float>(), input.numel(), pixel_scale, pixel_shift);
  return out;
}

void BatchBuilder::convert(size_t f, const BlockData& block, int64_t j, int64_t n, at::Tensor& out,
                           int64_t i) const {
  const FieldSpec& spec = manifest_.fields[f];
  const int64_t elements = spec.sample_elements();
  const uint8_t* const* src = block.rows[f].data() + j;
  if (spec.role == FieldRole::kImage) {
    uint8_t* dst = out.data_ptr<uint8_t>() + i * elements;
    // Rows are scattered over the block (that is the shuffle): fetch a few rows ahead so that
    // the copy does not wait on memory for the first bytes of every row.
    constexpr int64_t kAhead = 6;
    for (int64_t r = 0; r < std::min(n, kAhead); ++r) prefetch_row(src[r], elements);
    for (int64_t r = 0; r < n; ++r) {
      if (r + kAhead < n) prefetch_row(src[r + kAhead], elements);
      std::memcpy(dst + r * elements, src[r], static_cast<size_t>(elements));
    }
  } else if (spec.dtype == DType::kFloat32) {
    float* dst = out.data_ptr<float>() + i * elements;
    for (int64_t r = 0; r < n; ++r) std::memcpy(dst + r * elements, src[r], static_cast<size_t>(elements) * 4);
  } else {
    int64_t* dst = out.data_ptr<int64_t>() + i * elements;
    widen_rows(spec.dtype, src, n, elements, dst);
    if (spec.role != FieldRole::kLabel) return;
    for (int64_t r = 0; r < n; ++r) {
      const int64_t value = dst[r * elements];
      if (value < 0 || value >= spec.num_classes) {
        const auto [shard, row] = block.source_of(j + r);
        DPT_THROW(DataError, label_range_message(value, spec, shard_paths_[static_cast<size_t>(shard)], row));
      }
    }
  }
}

}  // namespace dpt::data
