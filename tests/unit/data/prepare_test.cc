#include "data/prepare.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "common/error.h"
#include "data/dataset.h"
#include "data/idx.h"
#include "unit/data/fixtures.h"

namespace fs = std::filesystem;

namespace dpt::data {
namespace {

using testing::TempDir;

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const DataError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Idx, RoundTripPlainAndGzip) {
  TempDir tmp;
  const testing::Synthetic d = testing::make_synthetic(17, 3, 5);
  for (const bool gz : {false, true}) {
    const std::string path = tmp / (gz ? "a.gz" : "a");
    write_idx(path, {17, 3, 5}, d.images.data(), gz);
    const IdxArray back = read_idx(path);
    EXPECT_EQ(back.dims, (std::vector<int64_t>{17, 3, 5}));
    EXPECT_EQ(back.data, d.images);
  }
  EXPECT_LT(fs::file_size(tmp / "a.gz"), fs::file_size(tmp / "a"));
}

TEST(Idx, BadFilesAreNamedWithTheReason) {
  TempDir tmp;
  std::vector<uint8_t> data(12, 1);
  write_idx(tmp / "ok", {12}, data.data(), false);
  const std::string ok = testing::read_file(tmp / "ok");
  EXPECT_NE(error_of([&] { read_idx(tmp / "missing"); }).find("cannot open IDX file"), std::string::npos);
  testing::write_file(tmp / "magic", "\x01\x02" + ok.substr(2));
  EXPECT_NE(error_of([&] { read_idx(tmp / "magic"); }).find("not an IDX file (bad magic"), std::string::npos);
  std::string ints = ok;
  ints[2] = 0x0C;
  testing::write_file(tmp / "ints", ints);
  EXPECT_NE(error_of([&] { read_idx(tmp / "ints"); }).find("element type 0xc; only unsigned bytes"), std::string::npos);
  testing::write_file(tmp / "short", ok.substr(0, ok.size() - 5));
  EXPECT_NE(error_of([&] { read_idx(tmp / "short"); }).find("is truncated: its header promises 12 data bytes, it holds 7"),
            std::string::npos);
  testing::write_file(tmp / "long", ok + "xx");
  EXPECT_NE(error_of([&] { read_idx(tmp / "long"); }).find("has data after the 12 bytes"), std::string::npos);
  // A gzip file cut short: zlib reports the damage or the size check catches it.
  write_idx(tmp / "z.gz", {12}, data.data(), true);
  const std::string gz = testing::read_file(tmp / "z.gz");
  testing::write_file(tmp / "cut.gz", gz.substr(0, gz.size() - 10));
  EXPECT_NE(error_of([&] { read_idx(tmp / "cut.gz"); }), "no error");
}

struct IdxPair {
  std::string images, labels;
};

IdxPair write_pair(const TempDir& tmp, const testing::Synthetic& d) {
  IdxPair p{tmp / "images.gz", tmp / "labels.gz"};
  write_idx(p.images, {d.samples, d.height, d.width}, d.images.data(), true);
  write_idx(p.labels, {d.samples}, d.labels.data(), true);
  return p;
}

TEST(PrepareIdx, WritesShardsThatHoldTheSourceData) {
  TempDir tmp;
  const testing::Synthetic d = testing::make_synthetic(103, 4, 6, 7);
  const IdxPair in = write_pair(tmp, d);
  PrepareIdxOptions o;
  o.images = in.images;
  o.labels = in.labels;
  o.out = tmp / "nested/split";
  o.write.shards = 4;
  o.class_names = {"a", "b", "c", "d", "e", "f", "g"};
  const Manifest m = prepare_idx(o);
  EXPECT_EQ(m.total_samples, 103);
  EXPECT_EQ(m.shard_sizes(), (std::vector<int64_t>{26, 26, 26, 25}));
  EXPECT_EQ(m.fields[0].shape, (std::vector<int64_t>{4, 6}));
  EXPECT_EQ(m.fields[1].num_classes, 7);
  EXPECT_EQ(m.class_names.size(), 7u);
  // Pixel statistics on the [0, 1] scale, against a direct computation.
  double sum = 0, sq = 0;
  for (uint8_t p : d.images) {
    sum += p / 255.0;
    sq += (p / 255.0) * (p / 255.0);
  }
  const double mean = sum / static_cast<double>(d.images.size());
  EXPECT_NEAR(m.fields[0].mean, mean, 1e-12);
  EXPECT_NEAR(m.fields[0].std, std::sqrt(sq / static_cast<double>(d.images.size()) - mean * mean), 1e-9);
  // Every row of every shard, in manifest order, is the source row.
  Dataset ds(o.out);
  int64_t id = 0;
  for (size_t s = 0; s < ds.num_shards(); ++s) {
    const int64_t n = ds.shard(s).samples();
    std::vector<uint8_t> x(static_cast<size_t>(n * 24)), y(static_cast<size_t>(n));
    ds.shard(s).read_rows(0, 0, n, x.data());
    ds.shard(s).read_rows(1, 0, n, y.data());
    EXPECT_TRUE(std::equal(x.begin(), x.end(), d.images.begin() + id * 24));
    EXPECT_TRUE(std::equal(y.begin(), y.end(), d.labels.begin() + id));
    id += n;
  }
  EXPECT_EQ(id, 103);
  // Nothing else is left next to the output.
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp / "nested"), fs::directory_iterator{}), 1);
}

TEST(PrepareIdx, ShardCountFromShardMbAndCompression) {
  TempDir tmp;
  const testing::Synthetic d = testing::make_synthetic(2000, 16, 16);  // 257 bytes per sample, ~0.49 MiB
  const IdxPair in = write_pair(tmp, d);
  PrepareIdxOptions o;
  o.images = in.images;
  o.labels = in.labels;
  o.out = tmp / "plain";
  o.write.shard_mb = 0.1;
  EXPECT_EQ(prepare_idx(o).shards.size(), 5u);  // ceil(0.49 / 0.1)
  o.out = tmp / "packed";
  o.write.shard.compress = true;
  const Manifest packed = prepare_idx(o);
  EXPECT_LT(packed.total_bytes(), read_manifest(tmp / "plain").total_bytes());
  EXPECT_EQ(packed.fields[1].num_classes, 10);  // max label + 1 without class names
}

TEST(PrepareIdx, ExistingOutputNeedsOverwrite) {
  TempDir tmp;
  const IdxPair in = write_pair(tmp, testing::make_synthetic(30));
  PrepareIdxOptions o;
  o.images = in.images;
  o.labels = in.labels;
  o.out = tmp / "split";
  o.write.shards = 2;
  prepare_idx(o);
  EXPECT_NE(error_of([&] { prepare_idx(o); }).find("already exists; pass --overwrite"), std::string::npos);
  o.write.overwrite = true;
  o.write.shards = 3;
  prepare_idx(o);
  EXPECT_EQ(read_manifest(o.out).shards.size(), 3u);
  EXPECT_FALSE(fs::exists(tmp / "split/shard-00003.h5"));
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp.path()), fs::directory_iterator{}), 3);  // 2 inputs + split
}

TEST(PrepareIdx, FailureLeavesNothingThatLooksLikeADataset) {
  TempDir tmp;
  const testing::Synthetic d = testing::make_synthetic(30);
  const IdxPair in = write_pair(tmp, d);
  std::vector<uint8_t> few(29, 1);
  write_idx(tmp / "few.gz", {29}, few.data(), true);
  PrepareIdxOptions o;
  o.images = in.images;
  o.labels = tmp / "few.gz";
  o.out = tmp / "split";
  EXPECT_NE(error_of([&] { prepare_idx(o); }).find("holds 30 images but"), std::string::npos);
  o.labels = in.labels;
  o.class_names = {"a", "b"};  // labels go up to 9
  EXPECT_NE(error_of([&] { prepare_idx(o); }).find("has label 2 at item 2 but the dataset has 2 classes"),
            std::string::npos);
  o.class_names.clear();
  o.write.shards = 31;
  EXPECT_NE(error_of([&] { prepare_idx(o); }).find("cannot split 30 samples into 31 shards"), std::string::npos);
  for (const auto& entry : fs::directory_iterator(tmp.path())) {
    EXPECT_EQ(entry.path().filename().string().find("split"), std::string::npos) << entry.path();
  }
}

TEST(PrepareIdx, ChunksAreNearlyEqualAndAboutTheTargetSize) {
  const FieldSpec image{"x", DType::kUInt8, {28, 28}, FieldRole::kImage};  // 784 bytes
  EXPECT_EQ(chunk_rows(image, 5000, 512 << 10), 625);    // 8 chunks of 625, not 7 × 668 + 32
  EXPECT_EQ(chunk_rows(image, 20000, 512 << 10), 667);   // 30 chunks
  EXPECT_EQ(chunk_rows(image, 100, 512 << 10), 100);     // one chunk for a small shard
  EXPECT_EQ(chunk_rows(image, 10, 100), 1);              // at least one row
  const FieldSpec label{"y", DType::kUInt8, {}, FieldRole::kLabel};
  EXPECT_EQ(chunk_rows(label, 20000, 512 << 10), 20000);
}

TEST(PrepareIdx, SplitEvenly) {
  EXPECT_EQ(split_evenly(10, 3), (std::vector<int64_t>{4, 3, 3}));
  EXPECT_EQ(split_evenly(9, 3), (std::vector<int64_t>{3, 3, 3}));
  EXPECT_EQ(split_evenly(5, 1), (std::vector<int64_t>{5}));
}

}  // namespace
}  // namespace dpt::data
