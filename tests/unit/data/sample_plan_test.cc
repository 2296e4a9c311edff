#include "data/sample_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>

#include "common/error.h"

namespace dpt::data {
namespace {

std::vector<int64_t> sorted(std::vector<int64_t> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<int64_t> iota(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

// Shard of a global id for shard sizes `sizes`.
int shard_of(int64_t id, const std::vector<int64_t>& sizes) {
  int s = 0;
  while (id >= sizes[static_cast<size_t>(s)]) id -= sizes[static_cast<size_t>(s++)];
  return s;
}

TEST(SamplePlan, SameSeedSameOrderOtherSeedOrEpochOther) {
  const std::vector<int64_t> sizes{40, 35, 25};
  const SamplePlan a(sizes, {7, true, 16}), b(sizes, {7, true, 16}), c(sizes, {8, true, 16});
  EXPECT_EQ(a.epoch_sequence(0), b.epoch_sequence(0));
  EXPECT_EQ(a.epoch_sequence(3), b.epoch_sequence(3));
  EXPECT_NE(a.epoch_sequence(0), c.epoch_sequence(0));
  EXPECT_NE(a.epoch_sequence(0), a.epoch_sequence(1));
}

TEST(SamplePlan, EveryEpochIsAPermutation) {
  const std::vector<int64_t> sizes{40, 35, 25};
  const SamplePlan plan(sizes, {3, true, 16});
  EXPECT_EQ(plan.total(), 100);
  EXPECT_EQ(plan.num_blocks(), 7);
  for (int64_t e = 0; e < 5; ++e) EXPECT_EQ(sorted(plan.epoch_sequence(e)), iota(100));
}

TEST(SamplePlan, NoShuffleIsFileOrder) {
  const SamplePlan plan({40, 35, 25}, {3, false, 16});
  EXPECT_EQ(plan.epoch_sequence(0), iota(100));
  EXPECT_EQ(plan.epoch_sequence(9), iota(100));
  EXPECT_EQ(plan.shard_order(4), (std::vector<int>{0, 1, 2}));
}

// Golden values: the order function is part of the checkpoint format (resuming continues at
// the same sample). If this test changes, every saved run's order changes with it.
TEST(SamplePlan, GoldenOrder) {
  const SamplePlan plan({3, 2, 4}, {1, true, 4});
  // Shards 2, 1, 0 -> file sequence 5 6 7 8 | 3 4 0 1 | 2, each block of 4 permuted.
  EXPECT_EQ(plan.shard_order(0), (std::vector<int>{2, 1, 0}));
  EXPECT_EQ(plan.epoch_sequence(0), (std::vector<int64_t>{7, 6, 8, 5, 1, 3, 0, 4, 2}));
  EXPECT_EQ(plan.epoch_sequence(1), (std::vector<int64_t>{1, 3, 0, 4, 2, 7, 6, 5, 8}));
}

TEST(SamplePlan, BlocksAreContiguousRunsOfTheShardSequence) {
  const std::vector<int64_t> sizes{40, 35, 25};
  const SamplePlan plan(sizes, {11, true, 16});
  for (int64_t e = 0; e < 3; ++e) {
    // The epoch's file sequence: shards in shard_order, each in row order.
    std::vector<int64_t> file_sequence;
    for (int s : plan.shard_order(e)) {
      for (int64_t r = 0; r < sizes[static_cast<size_t>(s)]; ++r) file_sequence.push_back(plan.shard_offsets()[static_cast<size_t>(s)] + r);
    }
    const auto sequence = plan.epoch_sequence(e);
    for (int64_t k = 0; k < plan.num_blocks(); ++k) {
      const Block b = plan.block(e, k);
      EXPECT_EQ(b.first_position, k * 16);
      int64_t run_total = 0;
      for (const RowRun& run : b.runs) run_total += run.count;
      EXPECT_EQ(run_total, b.size);
      // The block holds exactly the file sequence's samples of its positions, permuted.
      const auto begin = static_cast<long>(b.first_position), end = static_cast<long>(b.first_position + b.size);
      EXPECT_EQ(sorted({sequence.begin() + begin, sequence.begin() + end}),
                sorted({file_sequence.begin() + begin, file_sequence.begin() + end}));
    }
  }
}

TEST(SamplePlan, BlockShuffleMixesShards) {
  // Four shards of 25, blocks of 40: block 0 spans two shards, and shuffling must interleave
  // them, not keep one shard's run after the other's.
  const std::vector<int64_t> sizes{25, 25, 25, 25};
  const SamplePlan plan(sizes, {5, true, 40});
  const auto sequence = plan.epoch_sequence(0);
  std::set<int> shards;
  int changes = 0;
  for (size_t p = 0; p < 40; ++p) {
    shards.insert(shard_of(sequence[p], sizes));
    if (p > 0 && shard_of(sequence[p], sizes) != shard_of(sequence[p - 1], sizes)) ++changes;
  }
  EXPECT_EQ(shards.size(), 2u);
  EXPECT_GT(changes, 5);  // file order would change shard exactly once
  // And it is not file order inside one shard either.
  const SamplePlan one({100}, {5, true, 100});
  EXPECT_NE(one.epoch_sequence(0), iota(100));
  // Over epochs the shards come in different orders.
  std::set<std::vector<int>> orders;
  for (int64_t e = 0; e < 20; ++e) orders.insert(plan.shard_order(e));
  EXPECT_GT(orders.size(), 5u);
}

TEST(SamplePlan, GlobalBatchesDoNotDependOnWorldSize) {
  // For W = 1, 2, 4 the micro-batch slices of every step tile [s·G, (s+1)·G) exactly once.
  for (const int world : {1, 2, 4}) {
    const BatchGeometry g{32, 4, world};
    g.check();
    EXPECT_EQ(g.micro_steps(), 8 / world);
    for (int64_t step = 0; step < 3; ++step) {
      std::vector<int> covered(32, 0);
      for (int64_t m = 0; m < g.micro_steps(); ++m) {
        for (int r = 0; r < world; ++r) {
          const int64_t begin = g.micro_batch_begin(step, m, r);
          for (int64_t i = 0; i < g.micro_batch; ++i) ++covered[static_cast<size_t>(begin + i - step * 32)];
        }
      }
      EXPECT_EQ(covered, std::vector<int>(32, 1)) << "world " << world;
    }
  }
  EXPECT_EQ((BatchGeometry{32, 4, 2}.micro_batch_begin(1, 2, 1)), 32 + 2 * 2 * 4 + 4);
}

TEST(SamplePlan, StepsPerEpochDropOrPad) {
  EXPECT_EQ(steps_per_epoch(100, 16, true), 6);   // train drops the last 4 samples
  EXPECT_EQ(steps_per_epoch(100, 16, false), 7);  // eval pads the last batch
  EXPECT_EQ(steps_per_epoch(96, 16, true), 6);
  EXPECT_EQ(steps_per_epoch(96, 16, false), 6);
  EXPECT_EQ(steps_per_epoch(15, 16, true), 0);
}

TEST(SamplePlan, GeometryAndOptionErrors) {
  EXPECT_THROW((BatchGeometry{30, 4, 2}.check()), ConfigError);
  EXPECT_THROW((BatchGeometry{0, 4, 1}.check()), ConfigError);
  try {
    BatchGeometry{48, 8, 4}.check();
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("divisible by 32"), std::string::npos);
  }
  EXPECT_THROW(SamplePlan({}, {}), DataError);
  EXPECT_THROW(SamplePlan({10}, {0, true, 0}), DataError);
  EXPECT_THROW(SamplePlan({10, 0}, {}), DataError);
}

TEST(SamplePlan, BoundedDrawsAreUniform) {
  SplitMix64 rng(1, 2, 3);
  std::vector<int> counts(3, 0);
  for (int i = 0; i < 30000; ++i) ++counts[rng.below(3)];
  for (int c : counts) EXPECT_NEAR(c, 10000, 400);
  SplitMix64 a(1, 2, 3), b(1, 2, 4);
  EXPECT_NE(a.next(), b.next());
}

}  // namespace
}  // namespace dpt::data
