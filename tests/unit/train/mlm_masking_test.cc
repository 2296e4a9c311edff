// Note [Deterministic masking]: which tokens mlm masks is a function of (seed, epoch, sample id,
// position) only -- not of the batch a sample lands in, its row, or the ranks -- and the rates
// are BERT's (15% of real non-special tokens; of those 80% [MASK], 10% random, 10% kept).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "train/mlm_masking.h"

namespace dpt::train {
namespace {

constexpr int64_t kVocab = 1000, kLength = 32;

MaskingOptions options(uint64_t seed = 5) {
  MaskingOptions o;
  o.vocab_size = kVocab;
  o.seed = seed;
  return o;
}

// Sample `id`: [CLS] tokens... [SEP] [PAD]..., its length depending on the id.
std::pair<at::Tensor, at::Tensor> samples(const std::vector<int64_t>& ids) {
  at::Tensor tokens = at::zeros({static_cast<int64_t>(ids.size()), kLength}, at::kLong);
  at::Tensor mask = at::zeros_like(tokens);
  for (size_t r = 0; r < ids.size(); ++r) {
    const int64_t length = 8 + ids[r] % (kLength - 8);
    for (int64_t p = 0; p < length; ++p) {
      tokens[r][p] = p == 0 ? 101 : p == length - 1 ? 102 : 200 + (ids[r] * 7 + p * 13) % 700;
      mask[r][p] = 1;
    }
  }
  return {tokens, mask};
}

TEST(MlmMasking, DependsOnTheSampleNotOnItsBatch) {
  const std::vector<int64_t> all = {3, 17, 4, 99, 250, 8};
  const auto [tokens, mask] = samples(all);
  const MaskedTokens whole = mask_tokens(tokens, mask, all, 2, options());
  // The same samples in another order and split in two batches, as other ranks would see them.
  const std::vector<int64_t> first = {99, 17, 3}, second = {8, 250, 4};
  const auto [t1, m1] = samples(first);
  const auto [t2, m2] = samples(second);
  const MaskedTokens a = mask_tokens(t1, m1, first, 2, options());
  const MaskedTokens b = mask_tokens(t2, m2, second, 2, options());
  auto row_of = [&](int64_t id) { return std::find(all.begin(), all.end(), id) - all.begin(); };
  for (size_t r = 0; r < 3; ++r) {
    EXPECT_TRUE(a.inputs[r].equal(whole.inputs[row_of(first[r])]));
    EXPECT_TRUE(a.labels[r].equal(whole.labels[row_of(first[r])]));
    EXPECT_TRUE(b.inputs[r].equal(whole.inputs[row_of(second[r])]));
    EXPECT_TRUE(b.labels[r].equal(whole.labels[row_of(second[r])]));
  }
  EXPECT_EQ(a.targets + b.targets, whole.targets);
  // Another epoch or seed masks differently; padding rows (id -1) get no targets.
  EXPECT_FALSE(mask_tokens(tokens, mask, all, 3, options()).labels.equal(whole.labels));
  EXPECT_FALSE(mask_tokens(tokens, mask, all, 2, options(6)).labels.equal(whole.labels));
  EXPECT_EQ(mask_tokens(tokens, mask, {-1, -1, -1, -1, -1, -1}, 2, options()).targets, 0);
}

TEST(MlmMasking, BertRates) {
  std::vector<int64_t> ids(2000);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>(i);
  const auto [tokens, mask] = samples(ids);
  const MaskedTokens m = mask_tokens(tokens, mask, ids, 0, options());
  const at::Tensor target = m.labels.ne(kIgnoreLabel);
  const at::Tensor special = tokens.eq(101) | tokens.eq(102) | tokens.eq(0);
  EXPECT_EQ((target & special).sum().item<int64_t>(), 0) << "no special token or padding is a target";
  EXPECT_EQ((target & mask.eq(0)).sum().item<int64_t>(), 0);
  EXPECT_TRUE(m.labels.masked_select(target).equal(tokens.masked_select(target))) << "labels hold the originals";
  EXPECT_TRUE(m.inputs.masked_select(~target).equal(tokens.masked_select(~target))) << "only targets change";
  const double ordinary = (mask.eq(1) & ~special).sum().item<double>();
  const double n = static_cast<double>(m.targets);
  EXPECT_EQ(m.targets, target.sum().item<int64_t>());
  EXPECT_NEAR(n / ordinary, 0.15, 0.01);
  const at::Tensor replaced = m.inputs.masked_select(target), original = tokens.masked_select(target);
  EXPECT_NEAR(replaced.eq(103).sum().item<double>() / n, 0.8, 0.02);
  const at::Tensor random = replaced.ne(103) & replaced.ne(original);
  EXPECT_NEAR(random.sum().item<double>() / n, 0.1, 0.02);  // (a random draw may hit the original: rare)
  EXPECT_NEAR(replaced.eq(original).sum().item<double>() / n, 0.1, 0.02);
  const at::Tensor drawn = replaced.masked_select(random);
  EXPECT_EQ((drawn.eq(0) | drawn.eq(100) | drawn.eq(101) | drawn.eq(102)).sum().item<int64_t>(), 0);
}

TEST(MlmMasking, RejectsIdsOutsideTheVocabulary) {
  auto [tokens, mask] = samples({1});
  tokens[0][3] = kVocab;
  EXPECT_THROW(mask_tokens(tokens, mask, {1}, 0, options()), DataError);
  MaskingOptions bad = options();
  bad.probability = 1.5;
  EXPECT_THROW(mask_tokens(tokens, mask, {1}, 0, bad), ConfigError);
}

}  // namespace
}  // namespace dpt::train
