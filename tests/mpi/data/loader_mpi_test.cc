// The loader on 2 and 4 real MPI ranks. The loader never communicates; these tests gather
// what each rank received and check it against the single-process order (Note [Global batches]).
#include <gtest/gtest.h>
#include <mpi.h>

#include <memory>
#include <numeric>

#include "data/loader.h"
#include "unit/data/fixtures.h"

namespace dpt::data {
namespace {

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int world_size() {
  int n = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

// Every rank's `mine` (same length on all ranks), concatenated in rank order.
std::vector<int64_t> allgather(const std::vector<int64_t>& mine) {
  std::vector<int64_t> all(mine.size() * static_cast<size_t>(world_size()));
  MPI_Allgather(mine.data(), static_cast<int>(mine.size()), MPI_INT64_T, all.data(), static_cast<int>(mine.size()),
                MPI_INT64_T, MPI_COMM_WORLD);
  return all;
}

class LoaderMpi : public ::testing::Test {
 protected:
  static constexpr int64_t kSamples = 100;

  // Rank 0 writes the split; every rank learns its path (one node: a shared /tmp).
  static void SetUpTestSuite() {
    char path[4096] = {0};
    if (world_rank() == 0) {
      tmp_ = std::make_unique<testing::TempDir>();
      testing::write_synthetic_split(*tmp_ / "split", testing::make_synthetic(kSamples), 3);
      std::snprintf(path, sizeof path, "%s", (*tmp_ / "split").c_str());
    }
    MPI_Bcast(path, sizeof path, MPI_CHAR, 0, MPI_COMM_WORLD);
    dir_ = path;
  }
  static void TearDownTestSuite() {
    MPI_Barrier(MPI_COMM_WORLD);  // nobody reads the split any more
    tmp_.reset();
  }

  static LoaderOptions options(int64_t global, int64_t micro, int world, int rank) {
    LoaderOptions o;
    o.dir = dir_;
    o.geometry = {global, micro, world};
    o.rank = rank;
    o.plan = {9, true, 16};
    return o;
  }

  static std::unique_ptr<testing::TempDir> tmp_;
  static std::string dir_;
};
std::unique_ptr<testing::TempDir> LoaderMpi::tmp_;
std::string LoaderMpi::dir_;

TEST_F(LoaderMpi, GatheredMicroBatchesFormTheGlobalSequence) {
  const int w = world_size(), r = world_rank();
  const int64_t g = 32, b = 4, a = g / (b * w);
  LoaderOptions o = options(g, b, w, r);
  o.max_epochs = 2;
  Loader loader(o);
  for (int64_t epoch = 0; epoch < 2; ++epoch) {
    std::vector<int64_t> mine;
    for (int64_t i = 0; i < loader.steps_per_epoch() * a; ++i) {
      auto batch = loader.next();
      ASSERT_TRUE(batch.has_value());
      ASSERT_EQ(batch->epoch, epoch);
      mine.insert(mine.end(), batch->sample_ids.begin(), batch->sample_ids.end());
      for (int64_t k = 0; k < b; ++k) {  // the data is the sample's, too
        const int64_t id = batch->sample_ids[static_cast<size_t>(k)];
        ASSERT_EQ(batch->label.data_ptr<int64_t>()[k], testing::synthetic_label(id, 10));
        ASSERT_EQ(batch->input.data_ptr<uint8_t>()[k * 16 + 3], testing::synthetic_pixel(id, 3));
      }
    }
    const std::vector<int64_t> all = allgather(mine);
    const size_t per_rank = mine.size();
    std::vector<int64_t> global(all.size());
    for (int src = 0; src < w; ++src) {
      for (size_t i = 0; i < per_rank; ++i) {
        const int64_t micro_index = static_cast<int64_t>(i) / b, step = micro_index / a, m = micro_index % a;
        global[static_cast<size_t>(o.geometry.micro_batch_begin(step, m, src) + static_cast<int64_t>(i) % b)] =
            all[static_cast<size_t>(src) * per_rank + i];
      }
    }
    const auto sequence = loader.plan().epoch_sequence(epoch);
    EXPECT_EQ(global, std::vector<int64_t>(sequence.begin(), sequence.begin() + 96)) << "epoch " << epoch;
  }
  EXPECT_FALSE(loader.next().has_value());
}

TEST_F(LoaderMpi, EvalCountsEverySampleExactlyOnce) {
  const int w = world_size();
  LoaderOptions o = options(8 * w, 8, w, world_rank());
  o.mode = LoaderMode::kEval;
  Loader loader(o);
  std::vector<int64_t> count(kSamples, 0);
  int64_t padding = 0, batches = 0;
  while (auto batch = loader.next()) {
    ++batches;
    for (int64_t id : batch->sample_ids) {
      if (id < 0) ++padding;
      else ++count[static_cast<size_t>(id)];
    }
  }
  MPI_Allreduce(MPI_IN_PLACE, count.data(), static_cast<int>(count.size()), MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
  EXPECT_EQ(count, std::vector<int64_t>(kSamples, 1));
  const std::vector<int64_t> all_batches = allgather({batches});
  EXPECT_EQ(std::vector<int64_t>(all_batches.size(), batches), all_batches);  // same steps on every rank
  MPI_Allreduce(MPI_IN_PLACE, &padding, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
  EXPECT_EQ(padding, loader.steps_per_epoch() * 8 * w - kSamples);
}

TEST_F(LoaderMpi, StateAgreesOnAllRanksAndResumesOnOneRank) {
  const int w = world_size();
  const int64_t g = 16;  // 6 steps per epoch
  Loader loader(options(g, 2, w, world_rank()));
  for (int64_t i = 0; i < 3 * loader.micro_steps(); ++i) ASSERT_TRUE(loader.next().has_value());  // 3 steps
  const LoaderState state = loader.state();
  EXPECT_EQ(allgather({state.epoch, state.position}), [&] {
    std::vector<int64_t> same;
    for (int r = 0; r < w; ++r) same.insert(same.end(), {0, 3 * g});
    return same;
  }());
  // The next global step, as the W ranks deliver it ...
  std::vector<int64_t> mine;
  for (int64_t i = 0; i < loader.micro_steps(); ++i) {
    auto batch = loader.next();
    ASSERT_TRUE(batch.has_value());
    ASSERT_EQ(batch->step, 3);
    mine.insert(mine.end(), batch->sample_ids.begin(), batch->sample_ids.end());
  }
  std::vector<int64_t> distributed = allgather(mine);
  std::sort(distributed.begin(), distributed.end());
  // ... is the step a single rank resumed from the saved state delivers, in order.
  Loader single(options(g, g, 1, 0), state);
  auto batch = single.next();
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->step, 3);
  const auto sequence = single.plan().epoch_sequence(0);
  EXPECT_EQ(batch->sample_ids, std::vector<int64_t>(sequence.begin() + 3 * g, sequence.begin() + 4 * g));
  std::vector<int64_t> resumed = batch->sample_ids;
  std::sort(resumed.begin(), resumed.end());
  EXPECT_EQ(distributed, resumed);
}

}  // namespace
}  // namespace dpt::data
