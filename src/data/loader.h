#pragma once
// The per-rank data loader: background threads read whole blocks of the sample order
// (data/sample_plan.h) from the shards, permute them in memory, build this rank's
// micro-batches and keep up to `prefetch` of them ready, in order (Note [Collation workers]).
//
// Contract:
//  - Every rank constructs its Loader with the same dataset, plan options and geometry; each
//    gets the micro-batches of Note [Global batches] for its rank. No communication happens
//    here: the order is a pure function, so ranks agree without talking.
//  - next(), state() and restore() are called from one consumer thread. next() blocks until
//    a batch is ready. An error in a background thread (an unreadable shard, a label out of
//    range) is rethrown by next() in place of the batch it hit, which then keeps rethrowing it.
//  - The batches, their order and the errors do not depend on the number of workers.
//  - The destructor stops and joins the background threads. It never waits for the consumer,
//    so a consumer that stops early or throws never hangs (Note [Loader shutdown]).
//  - HDF5 is used from the background threads under the HDF5 lock (Note [HDF5 is not
//    thread-safe]); other HDF5 users in the process (checkpoints) must take it too.
#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "data/batch.h"
#include "data/dataset.h"
#include "data/sample_plan.h"

namespace dpt::config {
class Config;
}

namespace dpt::data {

class BlockWindow;

enum class LoaderMode {
  kTrain,  // drops the last incomplete global batch; runs max_epochs epochs (0 = without end)
  kEval,   // one pass; pads the last global batch and masks the padding
};

struct LoaderOptions {
  std::string dir;  // the split directory
  LoaderMode mode = LoaderMode::kTrain;
  BatchGeometry geometry;
  int rank = 0;
  PlanOptions plan;
  // Micro-batches the workers keep ready ahead of the consumer, >= 1: at least this many, in
  // whole runs (Note [Batch runs]).
  int prefetch = 4;
  // Bytes of consecutive micro-batches a worker builds into one slab and hands over together
  // (Note [Batch runs]); a run has at least 1 and at most 64 micro-batches. Not a config key:
  // tests set it to cut runs short.
  int64_t run_bytes = int64_t{1} << 19;
  // Threads building micro-batches, >= 0; 0 = as many as this rank's share of the cores allows
  // (at most 4). Shards read through HDF5 (compressed, or DPT_DATA_NO_MMAP=1) use one.
  int workers = 0;
  float pixel_mean = 0.0f, pixel_std = 1.0f;
  int64_t max_epochs = 0;  // train mode: end after this many epochs; 0 = never end
};

// The [data] options of `config` for the split `dir` (seed, shuffle, shuffle_block, prefetch,
// workers, pixel_mean, pixel_std). Geometry, rank and mode are the caller's.
LoaderOptions loader_options_from_config(const config::Config& config, const std::string& dir);

// Where an epoch stands: `position` samples of epoch `epoch` have been consumed in whole
// global batches. Independent of the world size and micro-batch size.
struct LoaderState {
  int64_t epoch = 0;
  int64_t position = 0;
  bool operator==(const LoaderState& o) const { return epoch == o.epoch && position == o.position; }
};

struct LoaderStats {
  int64_t hdf5_bytes = 0;      // bytes copied through H5Dread (0 when every shard is mapped)
  int64_t blocks_read = 0;
  int64_t batches_built = 0;
  double read_seconds = 0;     // background threads, reading blocks (summed over workers)
  double collate_seconds = 0;  // background threads, building batches (summed over workers)
};

// The workers LoaderOptions::workers = 0 stands for: the cores this process may run on, divided
// among the `world_size` ranks when they could share them, at least 1 and at most 4.
int auto_loader_workers(int world_size);

class Loader {
 public:
  // Opens and checks the dataset (DataError on any problem, see Dataset) and the geometry
  // (ConfigError), then starts the background thread at `start`.
  explicit Loader(LoaderOptions options, LoaderState start = {});
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // This rank's next micro-batch, or nullopt when the loader has run its epochs (eval: after
  // one pass). Rethrows a background error.
  std::optional<Batch> next();

  // The state after the last global step whose micro-batches next() has all returned. A step
  // handed out only in part is not counted: after restore() it is delivered again whole.
  LoaderState state() const { return consumed_; }
  // Discards prefetched batches and continues from `state`, which may come from a run with
  // another world size or micro-batch (not another global batch). Throws DataError when the
  // position is not a whole number of global batches of this epoch.
  void restore(LoaderState state);

  int64_t steps_per_epoch() const { return steps_per_epoch_; }
  int64_t micro_steps() const { return options_.geometry.micro_steps(); }
  int64_t global_batch() const { return options_.geometry.global_batch; }
  const Manifest& manifest() const { return dataset_->manifest(); }
  const SamplePlan& plan() const { return *plan_; }
  // Threads building batches (Note [Collation workers]).
  int workers() const { return workers_; }
  // Micro-batches built and handed over together (Note [Batch runs]).
  int64_t run_batches() const { return run_batches_; }
  // Counters of the background threads (read after they have stopped or approximately).
  LoaderStats stats() const;

 private:
  // One run of consecutive micro-batches (Note [Batch runs]), then perhaps how the sequence
  // ends: a run cut short by an error or by the end carries the batches before it.
  struct Item {
    std::vector<Batch> batches;
    std::exception_ptr error;  // set: the thread failed after `batches`
    bool end = false;          // set: no more batches after `batches`
    bool last() const { return error || end; }
  };

  LoaderState normalize(LoaderState state) const;
  void start(LoaderState from);
  void stop();
  void run(int worker, LoaderState from);
  Batch build(int64_t epoch, int64_t step, int64_t micro, BlockWindow& window, int worker, BatchSlab& slab);
  bool put(int64_t run, Item item);
  // Ring slots, in runs: enough for `prefetch` micro-batches, and two so that the workers fill
  // one while the consumer empties the other.
  int64_t capacity() const { return std::max<int64_t>(2, (options_.prefetch + run_batches_ - 1) / run_batches_); }
  // A waiting consumer is woken once this many runs are ready (Note [Batched hand-off]).
  int64_t wake_at() const { return std::max<int64_t>(1, capacity() / 2); }
  void advance_consumed(const Batch& batch);

  LoaderOptions options_;
  std::unique_ptr<Dataset> dataset_;
  std::unique_ptr<SamplePlan> plan_;
  std::unique_ptr<BatchBuilder> builder_;
  int64_t steps_per_epoch_ = 0;
  int workers_ = 1;
  int64_t run_batches_ = 1;
  LoaderState consumed_;

  // The ring between the workers and the consumer (Note [Collation workers]): run number `r`
  // (counted from the last start) waits in ring_[r % capacity] until the consumer takes it.
  std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
  std::vector<std::optional<Item>> ring_;
  int64_t next_ = 0;                // the run the consumer takes next
  int64_t ready_ = 0;               // runs next_, next_ + 1, ... that are in the ring
  bool ready_ends_ = false;         // the last of those ends with the end marker or an error
  int producers_waiting_ = 0;       // workers sleeping for room in the ring
  bool stop_ = false;
  bool consumer_waiting_ = false;   // next() sleeps until the ring is full (Note [Batched hand-off])
  std::vector<std::thread> threads_;

  // The consumer's own: batches taken from the ring (Note [Batched hand-off]), what came after
  // the last of them (an Item with only error or end), and how it ended.
  std::deque<Batch> taken_;
  std::optional<Item> tail_;
  std::exception_ptr error_;
  bool finished_ = false;  // the consumer has seen the end or an error

  // Counters of the workers, summed.
  mutable std::mutex stats_mutex_;
  LoaderStats stats_;
};

}  // namespace dpt::data
