#pragma once
// The per-rank data loader: a background thread reads whole blocks of the sample order
// (data/sample_plan.h) from the shards, permutes them in memory, builds this rank's
// micro-batches and keeps up to `prefetch` of them ready in a bounded queue.
//
// Contract:
//  - Every rank constructs its Loader with the same dataset, plan options and geometry; each
//    gets the micro-batches of Note [Global batches] for its rank. No communication happens
//    here: the order is a pure function, so ranks agree without talking.
//  - next(), state() and restore() are called from one consumer thread. next() blocks until
//    a batch is ready. An error in the background thread (an unreadable shard, a label out of
//    range) is rethrown by next(), which then keeps rethrowing it.
//  - The destructor stops and joins the background thread. It never waits for the consumer,
//    so a consumer that stops early or throws never hangs (Note [Loader shutdown]).
//  - HDF5 is used from the background thread under the HDF5 lock (Note [HDF5 is not
//    thread-safe]); other HDF5 users in the process (checkpoints) must take it too.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

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
  int prefetch = 4;  // micro-batches kept ready ahead of the consumer, >= 1
  float pixel_mean = 0.0f, pixel_std = 1.0f;
  int64_t max_epochs = 0;  // train mode: end after this many epochs; 0 = never end
};

// The [data] options of `config` for the split `dir` (seed, shuffle, shuffle_block, prefetch,
// pixel_mean, pixel_std). Geometry, rank and mode are the caller's.
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
  double read_seconds = 0;     // background thread, reading blocks
  double collate_seconds = 0;  // background thread, building batches
};

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
  // Counters of the background thread (read after it has stopped or approximately).
  LoaderStats stats() const;

 private:
  struct Item {
    std::optional<Batch> batch;
    std::exception_ptr error;  // set: the thread failed
    bool end = false;          // set: no more batches
  };

  LoaderState normalize(LoaderState state) const;
  void start(LoaderState from);
  void stop();
  void run(LoaderState from);
  void produce_epoch(int64_t epoch, int64_t first_step, BlockWindow& window);
  bool push(Item item);
  size_t capacity() const { return static_cast<size_t>(options_.prefetch); }
  size_t half_queue() const { return (capacity() + 1) / 2; }
  void advance_consumed(const Batch& batch);

  LoaderOptions options_;
  std::unique_ptr<Dataset> dataset_;
  std::unique_ptr<SamplePlan> plan_;
  std::unique_ptr<BatchBuilder> builder_;
  int64_t steps_per_epoch_ = 0;
  LoaderState consumed_;

  // The queue between the background thread and the consumer.
  std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
  std::deque<Item> queue_;
  bool stop_ = false;
  bool consumer_waiting_ = false;  // next() sleeps until the queue is full (Note [Batched hand-off])
  bool finished_ = false;          // the consumer has seen the end or an error
  std::exception_ptr error_;
  std::thread thread_;

  // Counters written by the background thread.
  std::atomic<int64_t> hdf5_bytes_{0}, blocks_read_{0}, batches_built_{0};
  std::atomic<double> read_seconds_{0}, collate_seconds_{0};
};

}  // namespace dpt::data
