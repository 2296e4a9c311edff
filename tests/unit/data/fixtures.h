#pragma once
// Test fixtures for the data module: temporary directories and small synthetic splits whose
// every pixel is a known function of the sample id, so a test can check any batch row.
#include <cstdint>
#include <string>
#include <vector>

#include "data/manifest.h"
#include "data/shard.h"

namespace dpt::data::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Pixel k of sample `id` and its label: the synthetic data's definition.
inline uint8_t synthetic_pixel(int64_t id, int64_t k) { return static_cast<uint8_t>((id * 31 + k * 7) % 251); }
inline uint8_t synthetic_label(int64_t id, int64_t classes) { return static_cast<uint8_t>(id % classes); }

struct Synthetic {
  int64_t samples = 0;
  int64_t height = 4, width = 4, classes = 10;
  std::vector<uint8_t> images;  // samples × height × width
  std::vector<uint8_t> labels;  // samples
};
Synthetic make_synthetic(int64_t samples, int64_t height = 4, int64_t width = 4, int64_t classes = 10);

// The fields "x" (uint8 image [h, w]) and "y" (uint8 label) of `data`.
std::vector<FieldSpec> synthetic_fields(const Synthetic& data);

// Writes `data` as a split at `dir` in `shards` nearly equal shards (through write_split).
Manifest write_synthetic_split(const std::string& dir, const Synthetic& data, int64_t shards,
                               const ShardWriteOptions& options = {});

// Sets DPT_DATA_NO_MMAP for the lifetime of the object (restores the previous value).
class ScopedNoMmap {
 public:
  explicit ScopedNoMmap(bool no_mmap);
  ~ScopedNoMmap();

 private:
  std::string old_;
  bool had_old_ = false;
};

// Contents of a file / writes a file (whole).
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& bytes);

}  // namespace dpt::data::testing
