#include "unit/data/fixtures.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/env.h"
#include "data/prepare.h"

namespace dpt::data::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/dpt_data_test_XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Synthetic make_synthetic(int64_t samples, int64_t height, int64_t width, int64_t classes) {
  Synthetic d;
  d.samples = samples;
  d.height = height;
  d.width = width;
  d.classes = classes;
  const int64_t pixels = height * width;
  d.images.resize(static_cast<size_t>(samples * pixels));
  d.labels.resize(static_cast<size_t>(samples));
  for (int64_t i = 0; i < samples; ++i) {
    for (int64_t k = 0; k < pixels; ++k) d.images[static_cast<size_t>(i * pixels + k)] = synthetic_pixel(i, k);
    d.labels[static_cast<size_t>(i)] = synthetic_label(i, classes);
  }
  return d;
}

std::vector<FieldSpec> synthetic_fields(const Synthetic& data) {
  FieldSpec x{"x", DType::kUInt8, {data.height, data.width}, FieldRole::kImage};
  FieldSpec y{"y", DType::kUInt8, {}, FieldRole::kLabel};
  y.num_classes = data.classes;
  return {x, y};
}

Manifest write_synthetic_split(const std::string& dir, const Synthetic& data, int64_t shards,
                               const ShardWriteOptions& options) {
  SplitSource source;
  source.fields = synthetic_fields(data);
  source.columns = {data.images.data(), data.labels.data()};
  source.samples = data.samples;
  source.source = "synthetic test data";
  SplitWriteOptions write;
  write.shards = shards;
  write.shard = options;
  write.created_by = "dptrain tests";
  return write_split(source, dir, write);
}

ScopedNoMmap::ScopedNoMmap(bool no_mmap) {
  const char* old = std::getenv(env::kDataNoMmap);
  had_old_ = old != nullptr;
  if (had_old_) old_ = old;
  ::setenv(env::kDataNoMmap, no_mmap ? "1" : "0", 1);
}

ScopedNoMmap::~ScopedNoMmap() {
  if (had_old_) ::setenv(env::kDataNoMmap, old_.c_str(), 1);
  else ::unsetenv(env::kDataNoMmap);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

}  // namespace dpt::data::testing
