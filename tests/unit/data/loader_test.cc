#include "data/loader.h"
#include "data/loader_bench.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <chrono>
#include <future>
#include <map>
#include <numeric>
#include <set>

#include "common/error.h"
#include "unit/data/fixtures.h"

namespace dpt::data {
namespace {

using testing::TempDir;

constexpr float kMean = 0.25f, kStd = 0.5f;

// Loader options over `dir` with the given geometry; shuffled with small blocks by default.
LoaderOptions options(const std::string& dir, int64_t global, int64_t micro, int world = 1, int rank = 0) {
  LoaderOptions o;
  o.dir = dir;
  o.geometry = {global, micro, world};
  o.rank = rank;
  o.plan = {42, true, 16};
  o.prefetch = 3;
  o.pixel_mean = kMean;
  o.pixel_std = kStd;
  return o;
}

// Checks every real row of `batch` against the synthetic definition of its sample id.
void expect_rows_match_ids(const Batch& batch, const testing::Synthetic& d) {
  const int64_t pixels = d.height * d.width;
  ASSERT_EQ(batch.input.scalar_type(), at::kByte);  // Note [Pixels stay bytes]
  ASSERT_EQ(batch.label.scalar_type(), at::kLong);
  ASSERT_EQ(batch.input.sizes(), (std::vector<int64_t>{batch.size(), d.height, d.width}));
  const at::Tensor normalized = batch.input_on(at::kCPU);
  ASSERT_EQ(normalized.scalar_type(), at::kFloat);
  ASSERT_EQ(normalized.sizes(), batch.input.sizes());
  const uint8_t* bytes = batch.input.data_ptr<uint8_t>();
  const float* x = normalized.data_ptr<float>();
  const int64_t* y = batch.label.data_ptr<int64_t>();
  const float* mask = batch.mask.data_ptr<float>();
  for (int64_t i = 0; i < batch.size(); ++i) {
    const int64_t id = batch.sample_ids[static_cast<size_t>(i)];
    if (i >= batch.valid) {
      EXPECT_EQ(id, -1);
      EXPECT_EQ(mask[i], 0.0f);
      EXPECT_EQ(y[i], 0);
      EXPECT_EQ(bytes[i * pixels], 0);
      continue;
    }
    EXPECT_EQ(mask[i], 1.0f);
    EXPECT_EQ(y[i], testing::synthetic_label(id, d.classes)) << "sample " << id;
    for (int64_t k = 0; k < pixels; ++k) {
      ASSERT_EQ(bytes[i * pixels + k], testing::synthetic_pixel(id, k)) << "sample " << id << " pixel " << k;
      const float expected = (testing::synthetic_pixel(id, k) / 255.0f - kMean) / kStd;
      ASSERT_NEAR(x[i * pixels + k], expected, 1e-5f) << "sample " << id << " pixel " << k;
    }
  }
}

// The ids of every micro-batch the loader delivers until it ends (or `limit` batches).
std::vector<std::vector<int64_t>> drain(Loader& loader, size_t limit = SIZE_MAX) {
  std::vector<std::vector<int64_t>> out;
  while (out.size() < limit) {
    auto batch = loader.next();
    if (!batch) break;
    out.push_back(batch->sample_ids);
  }
  return out;
}

class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = testing::make_synthetic(100);
    testing::write_synthetic_split(dir(), data_, 3);  // shards of 34, 33, 33
  }
  std::string dir() const { return tmp_ / "split"; }

  TempDir tmp_;
  testing::Synthetic data_;
};

TEST_F(LoaderTest, FileOrderWithoutShuffleDropsTheLastPartialBatch) {
  LoaderOptions o = options(dir(), 16, 8);
  o.plan.shuffle = false;
  o.max_epochs = 1;
  Loader loader(o);
  EXPECT_EQ(loader.steps_per_epoch(), 6);
  EXPECT_EQ(loader.micro_steps(), 2);
  int64_t expected_id = 0, batches = 0;
  while (auto batch = loader.next()) {
    EXPECT_EQ(batch->step, batches / 2);
    EXPECT_EQ(batch->micro_step, batches % 2);
    EXPECT_EQ(batch->last_micro_step, batches % 2 == 1);
    EXPECT_EQ(batch->valid, 8);
    for (int64_t id : batch->sample_ids) EXPECT_EQ(id, expected_id++);
    expect_rows_match_ids(*batch, data_);
    ++batches;
  }
  EXPECT_EQ(batches, 12);
  EXPECT_EQ(expected_id, 96);  // samples 96..99 dropped
  EXPECT_FALSE(loader.next().has_value());  // stays ended
}

TEST_F(LoaderTest, ShuffledBatchesFollowThePlanAndHoldTheRightData) {
  for (const bool no_mmap : {false, true}) {
    testing::ScopedNoMmap env(no_mmap);
    LoaderOptions o = options(dir(), 16, 4);
    o.max_epochs = 2;
    Loader loader(o);
    std::map<int64_t, std::vector<int64_t>> by_epoch;
    while (auto batch = loader.next()) {
      auto& seen = by_epoch[batch->epoch];
      seen.insert(seen.end(), batch->sample_ids.begin(), batch->sample_ids.end());
      expect_rows_match_ids(*batch, data_);
    }
    ASSERT_EQ(by_epoch.size(), 2u);
    for (const auto& [epoch, seen] : by_epoch) {
      const auto sequence = loader.plan().epoch_sequence(epoch);
      EXPECT_EQ(seen, std::vector<int64_t>(sequence.begin(), sequence.begin() + 96)) << "epoch " << epoch;
    }
    EXPECT_GT(loader.stats().blocks_read, 0);
    EXPECT_EQ(loader.stats().hdf5_bytes > 0, no_mmap);  // mapped shards copy nothing through HDF5
  }
}

TEST_F(LoaderTest, CompressedShardsLoadTheSameBatches) {
  ShardWriteOptions packed;
  packed.compress = true;
  packed.chunk_bytes = 100;  // several chunks per shard, block boundaries inside chunks
  testing::write_synthetic_split(tmp_ / "packed", data_, 3, packed);
  LoaderOptions a = options(dir(), 16, 4), b = options(tmp_ / "packed", 16, 4);
  a.max_epochs = b.max_epochs = 1;
  Loader plain(a), compressed(b);
  while (true) {
    auto x = plain.next(), y = compressed.next();
    ASSERT_EQ(x.has_value(), y.has_value());
    if (!x) break;
    EXPECT_EQ(x->sample_ids, y->sample_ids);
    EXPECT_TRUE(at::equal(x->input, y->input));
    EXPECT_TRUE(at::equal(x->label, y->label));
  }
  EXPECT_GT(compressed.stats().hdf5_bytes, 0);
}

// Note [Collation workers], Note [Batch runs]: any number of workers, any run length, delivers
// the batches of one worker building one batch at a time, bit for bit, also after a restore
// and with a ring shorter than the number of workers.
TEST_F(LoaderTest, WorkersDeliverTheBatchesOfOneWorker) {
  const int64_t batch_bytes = 4 * read_manifest(dir()).sample_bytes();
  auto run = [&](int workers, int prefetch, int64_t run_bytes) {
    LoaderOptions o = options(dir(), 16, 4);
    o.max_epochs = 2;
    o.workers = workers;
    o.prefetch = prefetch;
    o.run_bytes = run_bytes;
    Loader loader(o);
    EXPECT_EQ(loader.workers(), workers);
    std::vector<Batch> out;
    while (auto batch = loader.next()) {
      out.push_back(std::move(*batch));
      if (out.size() == 9) loader.restore({0, 32});  // back to step 2 of epoch 0: 8 micro-batches again
    }
    EXPECT_GE(loader.stats().batches_built, static_cast<int64_t>(out.size()));  // summed over workers
    return out;
  };
  const std::vector<Batch> one = run(1, 3, 1);
  ASSERT_EQ(one.size(), 9u + 2 * 6 * 4 - 8);
  for (const int64_t run_bytes : {int64_t{1}, 3 * batch_bytes, LoaderOptions{}.run_bytes}) {
    for (int workers : {1, 2, 3, 5}) {
      for (int prefetch : {1, 2, 8}) {
        const std::string what = std::to_string(workers) + " workers, prefetch " + std::to_string(prefetch) +
                                  ", runs of " + std::to_string(std::max<int64_t>(1, run_bytes / batch_bytes));
        const std::vector<Batch> many = run(workers, prefetch, run_bytes);
        ASSERT_EQ(many.size(), one.size()) << what;
        for (size_t i = 0; i < one.size(); ++i) {
          EXPECT_EQ(many[i].epoch, one[i].epoch) << what;
          EXPECT_EQ(many[i].step, one[i].step) << what;
          EXPECT_EQ(many[i].micro_step, one[i].micro_step) << what;
          EXPECT_EQ(many[i].sample_ids, one[i].sample_ids) << what;
          EXPECT_TRUE(at::equal(many[i].input, one[i].input)) << "batch " << i << ", " << what;
          EXPECT_TRUE(at::equal(many[i].label, one[i].label)) << "batch " << i << ", " << what;
          EXPECT_TRUE(at::equal(many[i].mask, one[i].mask)) << "batch " << i << ", " << what;
        }
      }
    }
  }
}

// Note [Batch runs]: batches are views of a few reused slabs. A slab is rewritten only after
// every batch in it is gone: batches kept for long keep their rows, and a consumer that lets
// them go makes the worker cycle through a bounded set of slabs instead of allocating.
TEST_F(LoaderTest, SlabsAreReusedOnlyWhenNoBatchHoldsThem) {
  LoaderOptions o = options(dir(), 16, 4);
  o.max_epochs = 6;
  o.workers = 1;
  o.run_bytes = 2 * 4 * read_manifest(dir()).sample_bytes();  // runs of 2 batches
  {
    Loader loader(o);
    ASSERT_EQ(loader.run_batches(), 2);
    std::set<const void*> slabs;
    int64_t batches = 0;
    while (auto batch = loader.next()) {
      ASSERT_TRUE(batch->input.is_contiguous());
      ASSERT_EQ(batch->input.size(0), 4);
      expect_rows_match_ids(*batch, data_);
      slabs.insert(batch->input.storage().data());
      ++batches;
    }
    ASSERT_EQ(batches, 6 * 6 * 4);
    // The ring's runs and those taken (2 + 2 for prefetch 3), one in the making, one spare.
    EXPECT_LE(slabs.size(), 6u) << slabs.size() << " slabs for " << batches / 2 << " runs";
  }
  // Every batch kept: no slab may be rewritten under them.
  Loader loader(o);
  std::vector<Batch> kept;
  while (auto batch = loader.next()) kept.push_back(std::move(*batch));
  ASSERT_EQ(kept.size(), 6u * 6 * 4);
  for (const Batch& b : kept) expect_rows_match_ids(b, data_);
}

TEST_F(LoaderTest, ShardsReadThroughHdf5UseOneWorker) {
  for (const bool no_mmap : {false, true}) {
    testing::ScopedNoMmap env(no_mmap);
    LoaderOptions o = options(dir(), 16, 4);
    o.workers = 3;
    Loader loader(o);
    EXPECT_EQ(loader.workers(), no_mmap ? 1 : 3);
  }
  EXPECT_GE(auto_loader_workers(1), 1);
  EXPECT_LE(auto_loader_workers(1), 4);
  EXPECT_EQ(auto_loader_workers(1 << 20), 1);  // more ranks than cores: one each
}

TEST_F(LoaderTest, WorldSizesSplitTheSameGlobalSequence) {
  // Ranks emulated in one process: the loader itself never communicates.
  std::vector<int64_t> single;
  {
    LoaderOptions o = options(dir(), 16, 4);
    o.max_epochs = 1;
    Loader loader(o);
    for (const auto& ids : drain(loader)) single.insert(single.end(), ids.begin(), ids.end());
  }
  for (const int world : {2, 4}) {
    std::vector<std::unique_ptr<Loader>> ranks;
    for (int r = 0; r < world; ++r) {
      LoaderOptions o = options(dir(), 16, 4, world, r);
      o.max_epochs = 1;
      ranks.push_back(std::make_unique<Loader>(o));
    }
    std::vector<int64_t> global;
    for (bool more = true; more;) {  // round-robin over ranks: micro-step m, rank r
      for (auto& loader : ranks) {
        auto batch = loader->next();
        more = batch.has_value();
        if (more) global.insert(global.end(), batch->sample_ids.begin(), batch->sample_ids.end());
      }
    }
    EXPECT_EQ(global, single) << "world " << world;
  }
}

TEST_F(LoaderTest, EvalCountsEverySampleOnceWithMasks) {
  for (const int world : {1, 2, 4}) {
    std::multiset<int64_t> ids;
    int64_t padding = 0;
    std::vector<int64_t> batches_per_rank;
    for (int r = 0; r < world; ++r) {
      LoaderOptions o = options(dir(), 32, 8 / world, world, r);
      o.mode = LoaderMode::kEval;
      Loader loader(o);
      EXPECT_EQ(loader.steps_per_epoch(), 4);  // ceil(100 / 32)
      int64_t batches = 0;
      while (auto batch = loader.next()) {
        ++batches;
        expect_rows_match_ids(*batch, data_);
        EXPECT_EQ(at::sum(batch->mask).item<float>(), static_cast<float>(batch->valid));
        for (int64_t id : batch->sample_ids) {
          if (id >= 0) ids.insert(id);
          else ++padding;
        }
      }
      batches_per_rank.push_back(batches);
    }
    EXPECT_EQ(std::set<int64_t>(batches_per_rank.begin(), batches_per_rank.end()).size(), 1u);  // same steps
    EXPECT_EQ(ids.size(), 100u) << "world " << world;
    EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.end()).size(), 100u);  // each once
    EXPECT_EQ(padding, 4 * 32 - 100);
  }
}

TEST_F(LoaderTest, ResumeGivesTheUninterruptedBatches) {
  LoaderOptions o = options(dir(), 16, 4);
  o.max_epochs = 3;
  Loader reference(o);
  const auto all = drain(reference);
  ASSERT_EQ(all.size(), 3u * 6 * 4);
  for (const size_t k : {size_t{4}, size_t{9}, size_t{24}, size_t{30}}) {
    Loader first(o);
    drain(first, k);
    const LoaderState state = first.state();
    // Whole steps only: after k micro-batches of 4 per step, floor(k/4) steps are done.
    const int64_t steps_done = static_cast<int64_t>(k / 4);
    EXPECT_EQ(state.epoch, steps_done / 6);
    EXPECT_EQ(state.position, (steps_done % 6) * 16);
    Loader resumed(o, state);
    const auto rest = drain(resumed);
    EXPECT_EQ(rest, std::vector<std::vector<int64_t>>(all.begin() + steps_done * 4, all.end())) << "k " << k;
  }
}

TEST_F(LoaderTest, ResumeUnderAnotherWorldSizeAndRestoreInPlace) {
  LoaderOptions o = options(dir(), 16, 4);
  o.max_epochs = 2;
  Loader reference(o);
  std::vector<int64_t> expected;
  for (const auto& ids : drain(reference)) expected.insert(expected.end(), ids.begin(), ids.end());
  // Two ranks run 3 steps of micro-batch 2 (4 micro-steps each), save, then one rank resumes.
  LoaderState saved;
  for (int r = 0; r < 2; ++r) {
    Loader rank(options(dir(), 16, 2, 2, r));
    drain(rank, 3 * 4);
    saved = rank.state();
  }
  EXPECT_EQ(saved, (LoaderState{0, 48}));
  Loader resumed(o, saved);
  std::vector<int64_t> rest;
  for (const auto& ids : drain(resumed)) rest.insert(rest.end(), ids.begin(), ids.end());
  EXPECT_EQ(rest, std::vector<int64_t>(expected.begin() + 48, expected.end()));
  // restore() on a running loader discards what it had prefetched.
  Loader loader(o);
  drain(loader, 7);
  loader.restore({1, 32});
  EXPECT_EQ(loader.state(), (LoaderState{1, 32}));
  const auto next = loader.next();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->epoch, 1);
  EXPECT_EQ(next->step, 2);
  EXPECT_EQ(next->sample_ids, std::vector<int64_t>(expected.begin() + 96 + 32, expected.begin() + 96 + 36));
  // The end of an epoch is the start of the next one.
  loader.restore({0, 96});
  EXPECT_EQ(loader.state(), (LoaderState{1, 0}));
}

TEST_F(LoaderTest, RestoreRejectsPositionsOfAnotherGlobalBatch) {
  Loader loader(options(dir(), 16, 4));
  EXPECT_THROW(loader.restore(LoaderState{0, 24}), DataError);
  EXPECT_THROW(loader.restore(LoaderState{0, 112}), DataError);
  EXPECT_THROW(Loader(options(dir(), 16, 4), LoaderState{0, 8}), DataError);
  EXPECT_THROW(Loader(options(dir(), 16, 3)), ConfigError);  // 3 does not divide 16
}

// Runs `body` on another thread and fails (instead of hanging) if it takes over 20 s.
void expect_finishes(const std::function<void()>& body) {
  auto done = std::async(std::launch::async, body);
  ASSERT_EQ(done.wait_for(std::chrono::seconds(20)), std::future_status::ready) << "loader shutdown hangs";
  done.get();
}

TEST_F(LoaderTest, EarlyStopJoinsWithoutHanging) {
  expect_finishes([&] {
    for (int prefetch : {1, 2, 8}) {
      LoaderOptions o = options(dir(), 16, 4);
      o.prefetch = prefetch;
      Loader never_read(o);  // thread blocked on a full queue at destruction
      Loader loader(o);
      EXPECT_TRUE(loader.next().has_value());
    }
  });
}

TEST_F(LoaderTest, ConsumerExceptionJoinsWithoutHanging) {
  expect_finishes([&] {
    try {
      Loader loader(options(dir(), 16, 4));
      loader.next();
      throw std::runtime_error("training step failed");
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "training step failed");
    }
  });
}

TEST_F(LoaderTest, InfiniteTrainingStreamRollsOverEpochs) {
  Loader loader(options(dir(), 16, 16));  // max_epochs 0: no end
  std::set<int64_t> epochs;
  for (int i = 0; i < 6 * 5; ++i) {
    auto batch = loader.next();
    ASSERT_TRUE(batch.has_value());
    epochs.insert(batch->epoch);
    EXPECT_EQ(batch->last_step, batch->step == 5);
  }
  EXPECT_EQ(epochs, (std::set<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(loader.state(), (LoaderState{5, 0}));
}

TEST_F(LoaderTest, BenchHelpersReadWholeFilesAndWholeEpochs) {
  const Manifest m = read_manifest(dir());
  const std::vector<std::string> files = shard_paths(dir());
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(read_files_raw(files, 4096), m.total_bytes());
  LoaderOptions o = options(dir(), 16, 4);
  o.max_epochs = 2;
  Loader loader(o);
  for (int64_t epoch = 0; epoch < 2; ++epoch) {
    const LoaderPass pass = consume_epoch(loader);
    EXPECT_EQ(pass.epoch, epoch);
    EXPECT_EQ(pass.samples, 96);
    EXPECT_EQ(pass.epoch_bytes, 96 * 17);  // 16 pixels + 1 label per sample
    EXPECT_GT(pass.seconds, 0.0);
  }
  EXPECT_THROW(consume_epoch(loader), DataError);  // the loader has ended
}

}  // namespace
}  // namespace dpt::data
