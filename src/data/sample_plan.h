#pragma once
// The sample order: which sample sits at each position of an epoch, and which positions each
// rank reads at each step. A pure function of (seed, epoch, shard sizes, block size) — the one
// source of truth for the order (DESIGN.md §3).
//
// Note [Sample order]
// Let the manifest list shards 0..S-1 with n_i samples, N = Σ n_i, B = shuffle_block.
//  1. Shard order of epoch e: a Fisher–Yates permutation π of 0..S-1 drawn from the stream
//     (seed, e, kShardStream); the identity when shuffle is off.
//  2. The epoch's file sequence: the rows of shard π(0) in file order, then those of π(1), ...
//  3. Block k is positions [k·B, min(N, (k+1)·B)) of that sequence: a few runs of contiguous
//     rows (a block may span shard boundaries), loaded whole, run by run (data/block_reader.h).
//  4. Inside block k, position k·B + j holds the block's order_k[j]-th row, order_k being a
//     Fisher–Yates permutation drawn from the stream (seed, e, k); identity when shuffle is off.
// Random streams are splitmix64 seeded by mixing (seed, epoch, stream), bounded draws use
// Lemire's multiply-and-reject, and the shuffle is written out here rather than std::shuffle,
// so the order is the same with any compiler or standard library. Changing any of this
// changes every run's order and breaks resuming older checkpoints at the same sample.
//
// Note [Global batches]
// An epoch's positions are cut into global batches of G samples. Step s is positions
// [s·G, (s+1)·G); within it, rank r's micro-batch m (of A = G/(W·b) per step) is
// [s·G + m·W·b + r·b, … + b). The sequence does not depend on the world size W, so a run
// restored on another W sees the same samples at the same steps; the loader's whole state
// is (epoch, position) with position a multiple of G. Training drops the last incomplete
// global batch; evaluation runs ceil(N/G) steps and masks positions >= N, so every sample is
// counted once and every rank runs the same number of steps.
#include <cstdint>
#include <string>
#include <vector>

namespace dpt::data {

struct PlanOptions {
  uint64_t seed = 0;
  bool shuffle = true;
  int64_t shuffle_block = 16384;  // samples per block, >= 1
};

// A run of consecutive rows of one shard.
struct RowRun {
  int shard = 0;       // index in the manifest
  int64_t first = 0;   // first row in that shard
  int64_t count = 0;
};

// One block of an epoch (Note [Sample order] step 3-4).
struct Block {
  int64_t index = 0;
  int64_t first_position = 0;   // position of its first sample in the epoch
  int64_t size = 0;             // samples
  std::vector<RowRun> runs;     // its rows in sequence order; the counts sum to size
  std::vector<uint32_t> order;  // position first_position + j holds the order[j]-th of those rows
};

class SamplePlan {
 public:
  // `shard_sizes` in manifest order, each >= 1. Throws DataError for an empty list or a
  // block size outside [1, 2^31).
  SamplePlan(std::vector<int64_t> shard_sizes, PlanOptions options);

  int64_t total() const { return total_; }
  int64_t block_size() const { return options_.shuffle_block; }
  int64_t num_blocks() const { return (total_ + options_.shuffle_block - 1) / options_.shuffle_block; }
  const PlanOptions& options() const { return options_; }

  // π of Note [Sample order]: the shards of `epoch` in the order they are read.
  std::vector<int> shard_order(int64_t epoch) const;
  // Block `index` of `epoch`. O(block size + shards).
  Block block(int64_t epoch, int64_t index) const;
  // The global sample id (first row of shard 0 is 0, shard 1 follows, ... in manifest order)
  // at every position of `epoch`. O(N): for tests and tools.
  std::vector<int64_t> epoch_sequence(int64_t epoch) const;
  // First global sample id of each shard (manifest order).
  const std::vector<int64_t>& shard_offsets() const { return offsets_; }

 private:
  std::vector<int64_t> sizes_;
  std::vector<int64_t> offsets_;
  int64_t total_ = 0;
  PlanOptions options_;
};

// The batch arithmetic of Note [Global batches].
struct BatchGeometry {
  int64_t global_batch = 0;  // G
  int64_t micro_batch = 0;   // b
  int world_size = 1;        // W
  std::string options;       // where G and b came from, for errors: "train.global_batch, train.micro_batch"

  // Throws ConfigError unless G, b, W >= 1 and b·W divides G.
  void check() const;
  int64_t micro_steps() const { return global_batch / (micro_batch * world_size); }  // A
  // First position of rank `rank`'s micro-batch `micro` of step `step`.
  int64_t micro_batch_begin(int64_t step, int64_t micro, int rank) const {
    return step * global_batch + micro * world_size * micro_batch + rank * micro_batch;
  }
};

// Steps in an epoch of `total` samples: floor(total/G) when dropping the last incomplete
// global batch (training), ceil(total/G) otherwise (evaluation).
int64_t steps_per_epoch(int64_t total, int64_t global_batch, bool drop_last);

// splitmix64 stream seeded from (seed, epoch, stream); exposed for tests.
class SplitMix64 {
 public:
  SplitMix64(uint64_t seed, uint64_t epoch, uint64_t stream);
  uint64_t next();
  // Uniform in [0, bound), bound >= 1 (Lemire's method).
  uint64_t below(uint64_t bound);

 private:
  uint64_t state_;
};

}  // namespace dpt::data
