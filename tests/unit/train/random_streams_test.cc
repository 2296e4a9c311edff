// Note [Random streams]: each rank's generators are seeded from (train.seed, rank).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "train/train_state.h"

namespace dpt::train {
namespace {

// A dropout mask drawn after seeding for (seed, rank), as the training forward draws it.
at::Tensor mask_after_seeding(int64_t seed, int rank) {
  seed_rank_generators(seed, rank, at::Device(at::kCPU));
  return at::dropout(at::ones({4096}), 0.5, /*train=*/true);
}

TEST(RandomStreams, SameSeedAndRankDrawTheSame) {
  EXPECT_TRUE(at::equal(mask_after_seeding(0, 0), mask_after_seeding(0, 0)));
  EXPECT_TRUE(at::equal(mask_after_seeding(7, 3), mask_after_seeding(7, 3)));
}

TEST(RandomStreams, RanksAndSeedsDrawIndependently) {
  const at::Tensor base = mask_after_seeding(0, 0);
  for (const auto& [seed, rank] : {std::pair<int64_t, int>{0, 1}, {0, 2}, {1, 0}, {1, 1}}) {
    const at::Tensor other = mask_after_seeding(seed, rank);
    // Independent masks of keep-probability 1/2 agree on about half the elements.
    const double agree = base.eq(other).to(at::kDouble).mean().item<double>();
    EXPECT_GT(agree, 0.45) << "seed " << seed << " rank " << rank;
    EXPECT_LT(agree, 0.55) << "seed " << seed << " rank " << rank;
  }
}

}  // namespace
}  // namespace dpt::train
