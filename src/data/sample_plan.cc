#include "data/sample_plan.h"

#include <algorithm>
#include <numeric>

#include "common/error.h"
#include "common/hash.h"

namespace dpt::data {
namespace {

// Stream ids of Note [Sample order]; block k uses stream k.
constexpr uint64_t kShardStream = ~uint64_t{0};

template <typename T>
void fisher_yates(std::vector<T>* items, SplitMix64* rng) {
  for (size_t i = items->size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(rng->below(i));
    std::swap((*items)[i - 1], (*items)[j]);
  }
}

}  // namespace

SplitMix64::SplitMix64(uint64_t seed, uint64_t epoch, uint64_t stream)
    : state_(mix64(mix64(mix64(seed) ^ epoch) ^ stream)) {}

uint64_t SplitMix64::next() {
  state_ += kGoldenGamma;
  return mix64(state_);
}

uint64_t SplitMix64::below(uint64_t bound) {
  unsigned __int128 m = static_cast<unsigned __int128>(next()) * bound;
  auto low = static_cast<uint64_t>(m);
  if (low < bound) {
    const uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(next()) * bound;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

SamplePlan::SamplePlan(std::vector<int64_t> shard_sizes, PlanOptions options)
    : sizes_(std::move(shard_sizes)), options_(options) {
  DPT_CHECK(!sizes_.empty(), DataError, "a sample plan needs at least one shard");
  DPT_CHECK(options_.shuffle_block >= 1 && options_.shuffle_block < (int64_t{1} << 31), DataError,
            "data.shuffle_block must be in [1, 2^31), got " << options_.shuffle_block);
  for (int64_t n : sizes_) {
    DPT_CHECK(n >= 1, DataError, "a shard of the sample plan has " << n << " samples");
    offsets_.push_back(total_);
    total_ += n;
  }
}

std::vector<int> SamplePlan::shard_order(int64_t epoch) const {
  std::vector<int> order(sizes_.size());
  std::iota(order.begin(), order.end(), 0);
  if (options_.shuffle) {
    SplitMix64 rng(options_.seed, static_cast<uint64_t>(epoch), kShardStream);
    fisher_yates(&order, &rng);
  }
  return order;
}

Block SamplePlan::block(int64_t epoch, int64_t index) const {
  DPT_CHECK(index >= 0 && index < num_blocks(), InternalError, "block " << index << " of " << num_blocks());
  Block b;
  b.index = index;
  b.first_position = index * options_.shuffle_block;
  b.size = std::min(options_.shuffle_block, total_ - b.first_position);
  // Walk the epoch's shard sequence to the block's first position, then collect its runs.
  int64_t seen = 0, need = b.size;
  for (int shard : shard_order(epoch)) {
    const int64_t n = sizes_[static_cast<size_t>(shard)];
    const int64_t begin = std::max(b.first_position, seen), end = std::min(b.first_position + b.size, seen + n);
    if (begin < end) {
      b.runs.push_back({shard, begin - seen, end - begin});
      need -= end - begin;
    }
    seen += n;
    if (need == 0) break;
  }
  b.order.resize(static_cast<size_t>(b.size));
  std::iota(b.order.begin(), b.order.end(), 0u);
  if (options_.shuffle) {
    SplitMix64 rng(options_.seed, static_cast<uint64_t>(epoch), static_cast<uint64_t>(index));
    fisher_yates(&b.order, &rng);
  }
  return b;
}

std::vector<int64_t> SamplePlan::epoch_sequence(int64_t epoch) const {
  std::vector<int64_t> sequence;
  sequence.reserve(static_cast<size_t>(total_));
  for (int64_t k = 0; k < num_blocks(); ++k) {
    const Block b = block(epoch, k);
    std::vector<int64_t> rows;  // global ids of the block's rows in sequence order
    for (const RowRun& run : b.runs) {
      for (int64_t i = 0; i < run.count; ++i) rows.push_back(offsets_[static_cast<size_t>(run.shard)] + run.first + i);
    }
    for (uint32_t j : b.order) sequence.push_back(rows[j]);
  }
  return sequence;
}

void BatchGeometry::check() const {
  const std::string from = options.empty() ? "" : " (" + options + ")";
  DPT_CHECK(global_batch >= 1 && micro_batch >= 1 && world_size >= 1, ConfigError,
            "global batch " << global_batch << ", micro-batch " << micro_batch << " and world size " << world_size
                            << " must all be >= 1" << from);
  DPT_CHECK(global_batch % (micro_batch * world_size) == 0, ConfigError,
            "global batch " << global_batch << " is not a multiple of micro-batch × world size = " << micro_batch
                            << " × " << world_size << from << "; choose a global batch divisible by "
                            << micro_batch * world_size << " or another micro-batch");
}

int64_t steps_per_epoch(int64_t total, int64_t global_batch, bool drop_last) {
  return drop_last ? total / global_batch : (total + global_batch - 1) / global_batch;
}

}  // namespace dpt::data
