#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <zlib.h>

#include <numeric>
#include <random>

#include "checkpoint/crc32.h"
#include "checkpoint/h5_util.h"
#include "checkpoint/layout.h"
#include "checkpoint/state.h"
#include "data/h5.h"
#include "unit/data/fixtures.h"

namespace dpt::checkpoint {
namespace {

TEST(Share, PiecesTileTheTensorInRankOrder) {
  for (int64_t numel : {0, 1, 3, 10, 1000, 16384, 16385, 100000, 1 << 20}) {
    for (int ranks : {1, 2, 3, 4, 7}) {
      int64_t next = 0, largest = 0, smallest = numel;
      for (int r = 0; r < ranks; ++r) {
        const Range piece = share(numel, 4, ranks, r);
        EXPECT_EQ(piece.begin, next) << numel << " over " << ranks;
        EXPECT_GE(piece.size(), 0);
        next = piece.end;
        largest = std::max(largest, piece.size());
        smallest = std::min(smallest, piece.size());
      }
      EXPECT_EQ(next, numel) << numel << " over " << ranks;
      // Balanced to within one 64 KiB unit (16384 float32).
      EXPECT_LE(largest - smallest, 16384) << numel << " over " << ranks;
    }
  }
}

TEST(Share, LargeTensorsSplitAtWholeFileBlocks) {
  const int64_t numel = int64_t{10} << 20;  // 40 MiB of float32
  for (int r = 1; r < 4; ++r) EXPECT_EQ(share(numel, 4, 4, r).begin * 4 % (64 << 10), 0);
  EXPECT_EQ(share(numel, 8, 3, 2).end, numel);
}

// Writes flat index values through select_flat_range for every rank's piece and reads the
// whole dataset back: each element must hold its own flat index.
void check_selection(const std::vector<int64_t>& shape, int ranks, const std::string& path) {
  const int64_t numel = std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>());
  data::H5Id file = data::create_file(path);
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  data::H5Id space(shape.empty() ? H5Screate(H5S_SCALAR) : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  data::H5Id dset(DPT_CKPT_H5(H5Dcreate2(file.get(), "t", H5T_NATIVE_INT64, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)));
  for (int r = 0; r < ranks; ++r) {
    const Range piece = share(numel, 8, ranks, r);
    if (piece.size() == 0) continue;
    std::vector<int64_t> values(static_cast<size_t>(piece.size()));
    std::iota(values.begin(), values.end(), piece.begin);
    select_flat_range(space.get(), shape, piece);
    ASSERT_EQ(H5Sget_select_npoints(space.get()), piece.size());
    const hsize_t count = static_cast<hsize_t>(piece.size());
    data::H5Id memory(H5Screate_simple(1, &count, nullptr));
    DPT_CKPT_H5(H5Dwrite(dset.get(), H5T_NATIVE_INT64, memory.get(), space.get(), H5P_DEFAULT, values.data()));
  }
  std::vector<int64_t> back(static_cast<size_t>(numel), -1);
  DPT_CKPT_H5(H5Dread(dset.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, back.data()));
  for (int64_t i = 0; i < numel; ++i) ASSERT_EQ(back[static_cast<size_t>(i)], i) << "shape rank " << shape.size();
}

TEST(SelectFlatRange, EveryPieceLandsOnItsElements) {
  data::testing::TempDir dir;
  const std::vector<std::vector<int64_t>> shapes = {
      {}, {1}, {7}, {5, 3}, {3, 5, 7}, {2, 3, 4, 5}, {1, 1, 9}, {10, 1}, {40000}, {3, 20000}, {2, 3, 7000}};
  int n = 0;
  for (const auto& shape : shapes) {
    for (int ranks : {1, 2, 3, 4, 6}) check_selection(shape, ranks, dir / ("s" + std::to_string(n++) + ".h5"));
  }
}

TEST(SelectFlatRange, ArbitraryRangesOfA4dArray) {
  data::testing::TempDir dir;
  const std::vector<int64_t> shape = {3, 4, 5, 6};
  data::H5Id file = data::create_file(dir / "r.h5");
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  data::H5Id space(H5Screate_simple(4, dims.data(), nullptr));
  std::mt19937 gen(7);
  for (int trial = 0; trial < 200; ++trial) {
    int64_t a = gen() % 361, b = gen() % 361;
    if (a > b) std::swap(a, b);
    select_flat_range(space.get(), shape, {a, b});
    ASSERT_EQ(H5Sget_select_npoints(space.get()), b - a);
    if (a == b) continue;
    hsize_t first[4], last[4];
    ASSERT_GE(H5Sget_select_bounds(space.get(), first, last), 0);
    // The first selected element is a's coordinates (row-major) when the range starts a row.
    EXPECT_EQ(static_cast<int64_t>(first[0]), a / 120);
  }
}

TEST(Crc32, MatchesZlibAndCombinesPieces) {
  std::vector<uint8_t> bytes(100000);
  std::mt19937 gen(1);
  for (auto& b : bytes) b = static_cast<uint8_t>(gen());
  const uint32_t whole = crc32(bytes.data(), static_cast<int64_t>(bytes.size()));
  EXPECT_EQ(whole, static_cast<uint32_t>(::crc32(0, bytes.data(), static_cast<uInt>(bytes.size()))));
  EXPECT_EQ(crc32("123456789", 9), 0xCBF43926u);  // the CRC-32 check value
  for (int ranks : {1, 2, 3, 5}) {
    uint32_t combined = 0;
    for (int r = 0; r < ranks; ++r) {
      const Range p = share(static_cast<int64_t>(bytes.size()), 1, ranks, r);
      combined = crc32_combine(combined, crc32(bytes.data() + p.begin, p.size()), p.size());
    }
    EXPECT_EQ(combined, whole) << ranks;
  }
}

TEST(Dtype, NamesRoundTripAndUnknownIsRefused) {
  for (at::ScalarType t : {at::kFloat, at::kDouble, at::kHalf, at::kBFloat16, at::kLong, at::kInt, at::kByte, at::kBool}) {
    EXPECT_EQ(dtype_from_name(dtype_name(t)), t);
    data::H5Id type(h5_type_for(t));
    EXPECT_EQ(H5Tget_size(type.get()), static_cast<size_t>(at::elementSize(t)));
  }
  EXPECT_THROW(dtype_from_name("complex64"), CheckpointError);
  EXPECT_THROW(dtype_name(at::kComplexFloat), CheckpointError);
}

TEST(Manifest, JsonRoundTrip) {
  Manifest m;
  m.world_size = 4;
  m.step = 1200;
  m.dptrain_version = "0.1.0";
  m.tensors.push_back({"model/fc0.weight", at::kFloat, {256, 784}, 256 * 784 * 4, 0xdeadbeefu});
  m.tensors.push_back({"trainer/step", at::kLong, {}, 8, 7});
  m.tensors.push_back({"rng/rank_3", at::kByte, {5056}, 5056, 9, 3});
  m.extra.set("model_type", "mlp");
  const Manifest back = parse_manifest(data::parse_json(to_json(m).dump(), "test"), "test");
  ASSERT_EQ(back.tensors.size(), 3u);
  EXPECT_EQ(back.world_size, 4);
  EXPECT_EQ(back.step, 1200);
  EXPECT_EQ(back.tensors[0].shape, (std::vector<int64_t>{256, 784}));
  EXPECT_EQ(back.tensors[0].crc32, 0xdeadbeefu);
  EXPECT_EQ(back.tensors[1].shape.size(), 0u);
  EXPECT_EQ(back.tensors[1].numel(), 1);
  EXPECT_EQ(back.tensors[2].owner, 3);
  EXPECT_EQ(back.tensors[0].owner, -1);
  EXPECT_EQ(back.extra.find("model_type")->as_string(), "mlp");
  EXPECT_EQ(back.total_bytes(), 256 * 784 * 4 + 8 + 5056);
  data::Json wrong = to_json(m);
  wrong.set("format_version", 99);
  EXPECT_THROW(parse_manifest(wrong, "test"), CheckpointError);
  wrong = to_json(m);
  wrong.set("format", "something else");
  EXPECT_THROW(parse_manifest(wrong, "test"), CheckpointError);
}

TEST(StepFileName, IsZeroPaddedSoNamesSortByStep) {
  EXPECT_EQ(step_file_name(100), "step_00000100.h5");
  EXPECT_LT(step_file_name(99), step_file_name(100));
  EXPECT_EQ(rank_state_name(3), "rng/rank_3");
}

}  // namespace
}  // namespace dpt::checkpoint
