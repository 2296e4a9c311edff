#pragma once
// One shard file: an HDF5 file with one dataset per field ("/x", "/y", ...), first axis =
// sample, chunked along that axis. write_shard() makes one; ShardFile opens one read-only,
// checks it against the manifest, and gives access to its rows.
//
// Note [Mapped shards]
// HDF5 has no zero-copy read: H5Dread copies every byte from the page cache into the caller's
// buffer, which costs as much as the loader's whole collation. A field stored without filters
// (no --compress), contiguous or chunked, is raw rows at known file offsets (chunk addresses
// from H5Dget_chunk_info), so ShardFile also maps the file read-only and hands out pointers to
// rows; the loader then touches each sample once, converting it straight into the batch. The
// I/O still happens by whole blocks: the loader asks the kernel to read a block's chunks ahead
// (madvise WILLNEED) before it gathers the block's rows. Compressed fields, and every field when
// DPT_DATA_NO_MMAP=1, go through H5Dread of whole runs. Offsets and sizes are checked against
// the file size at open; a shard must not be modified while it is open (as for any reader).
#include <cstdint>
#include <string>
#include <vector>

#include "data/h5.h"
#include "data/manifest.h"

namespace dpt::data {

struct ShardWriteOptions {
  bool compress = false;                 // deflate each chunk
  int deflate_level = 4;                 // 1 (fast) .. 9 (small)
  int64_t chunk_bytes = int64_t{512} << 10;  // target bytes per chunk (whole samples; >= 1 sample)
};

// Writes the shard `path` (truncating it): for each field i, the dataset "/<name>" of shape
// [samples, shape...] from columns[i], which holds samples × fields[i].sample_bytes() bytes in
// C order. Returns the file size in bytes. Throws DataError.
int64_t write_shard(const std::string& path, const std::vector<FieldSpec>& fields,
                    const std::vector<const void*>& columns, int64_t samples, const ShardWriteOptions& options);

// Rows per chunk for a field: at most about `chunk_bytes` (at least one row), chosen so that
// the chunks of `samples` rows come out nearly equal.
int64_t chunk_rows(const FieldSpec& field, int64_t samples, int64_t chunk_bytes);

// An open shard, checked against the manifest. Reads are serialized by the HDF5 lock; a
// ShardFile may be used from any thread, but by one at a time.
class ShardFile {
 public:
  // Opens <dir>/<info.file> read-only (no file locking) and checks it: present, of the size
  // the manifest records, HDF5, and every field a dataset of the manifest's dtype and shape
  // [info.samples, shape...]. Throws DataError naming the file and field and what to do.
  ShardFile(const std::string& dir, const ShardInfo& info, const std::vector<FieldSpec>& fields);

  // Reads rows [first, first + count) of fields[field] into `dst`, which has room for
  // count × sample_bytes bytes. One HDF5 read of one contiguous hyperslab.
  void read_rows(size_t field, int64_t first, int64_t count, void* dst);

  // Pointers to rows [first, first + count) of fields[field] inside the mapped file, into
  // out[0 .. count) (Note [Mapped shards]); the field must be mapped (is_mapped). Valid while
  // this ShardFile lives.
  void mapped_rows(size_t field, int64_t first, int64_t count, const uint8_t** out) const;
  bool is_mapped(size_t field) const { return !mapped_[field].chunk_offsets.empty(); }
  // Asks the kernel to read rows [first, first + count) of a mapped field ahead (no-op else,
  // and when they are all in memory already: Note [Read-ahead only when needed]).
  void will_need(size_t field, int64_t first, int64_t count) const;

  const std::string& path() const { return path_; }
  int64_t samples() const { return samples_; }

  ShardFile(const ShardFile&) = delete;
  ShardFile& operator=(const ShardFile&) = delete;
  ~ShardFile();

 private:
  struct MappedField {
    std::vector<int64_t> chunk_offsets;  // file offset of each chunk along the sample axis; empty = not mapped
    int64_t rows_per_chunk = 0;
    int64_t row_bytes = 0;
  };

  void check_field(const FieldSpec& field, const H5Id& dataset) const;
  void map_fields(int64_t file_bytes);
  MappedField locate_rows(size_t field, int64_t file_bytes) const;

  std::string path_;
  int64_t samples_ = 0;
  std::vector<FieldSpec> fields_;
  H5Id file_;
  std::vector<H5Id> datasets_;
  std::vector<H5Id> file_spaces_;
  std::vector<MappedField> mapped_;
  const uint8_t* map_base_ = nullptr;
  size_t map_bytes_ = 0;
};

}  // namespace dpt::data
