#include "data/loader.h"

#include <sched.h>

#include <algorithm>

#include "common/error.h"
#include "common/timer.h"
#include "common/trace.h"
#include "config/config.h"

namespace dpt::data {
namespace {

// Note [Batch runs]: the most micro-batches in one run.
constexpr int64_t kMaxRunBatches = 64;

}  // namespace

// Note [Loader shutdown]
// A worker blocks in one place only: put(), waiting for room in the ring. stop() sets stop_
// under the mutex and wakes them all, so put() returns false and each worker unwinds at once (a
// block read already under way finishes first: milliseconds). The consumer blocks only in
// next(), which the workers always satisfy in the end: with a batch, the end marker or an error
// (each catches everything and puts it in the place of the item it was building). So neither
// side waits for the other forever, whether the consumer stops early, throws (the destructor
// runs during unwinding), or calls restore().

// Note [Batch runs]
// A small micro-batch (Fashion-MNIST: 64 x 785 bytes, ~50 KB) takes ~6 us to gather, and
// everything done per batch besides the gather costs as much again: allocating its tensors,
// freeing them on the consumer's thread (which takes the allocator's lock against the worker),
// and the hand-off between the threads. So a worker builds micro-batches in runs: up to
// LoaderOptions::run_bytes (512 KiB) of consecutive micro-batches (at least one), gathered into one BatchSlab (one
// allocation per field, freed once its last batch is gone; each batch's tensors are views of
// its rows, Note [Slab views]) and put into the ring as one item. Large micro-batches are runs
// of one, as before. data.prefetch still counts micro-batches: the ring holds enough runs for
// that many, and at least two (capacity()).

// Note [Batched hand-off]
// Waking a sleeping thread costs several microseconds here (a futex call and, in a VM, an
// interrupt to the other core; on a shared core two context switches), and so does a lock
// that the other side holds. So neither side wakes the other, or takes the lock, for every
// run. The consumer takes everything ready in the ring in one go (into taken_, its own) and
// then wakes the workers, which sleep on a full ring meanwhile: when training is slower than
// the loader (the normal case), one wake-up per ring of runs. When the loader is slower
// (benchmarks, tiny models), a consumer that has nothing left sleeps until the workers have
// filled half the ring (or put the end or an error): half, not all, so that the workers go on
// filling the other half while the consumer wakes up. Waiting for a full ring made the
// workers stop at every hand-off until the consumer had woken and emptied it: two wake-ups
// per ring on the workers' critical path (1 rank: epoch 16 ms instead of 8 ms of work). Up to
// two rings of runs exist at once: the ring's and those taken, and one run in the making per
// worker.

// Note [Collation workers]
// Building micro-batches (gathering shuffled rows into batch tensors) is most of the loader's
// work, and one thread gathers at most ~8 GB/s here. With W workers, worker w builds the runs
// r ≡ w (mod W) of the sequence of micro-batches (Note [Batch runs]), each worker with its own
// BlockReader and window (it loads the blocks its batches touch; for mapped shards that is row
// pointers and a read-ahead when needed, no copy), and puts run r into ring slot r % capacity
// once the consumer has taken run r - capacity. The consumer takes the runs in sequence order,
// so the batches, their order and the first error are those of one worker; an error is put in
// the place of the batch that hit it (after the batches of its run before it).
// Shards read through HDF5 get one worker: H5Dread runs under the process-wide HDF5 lock, and
// W workers would read every block W times.

// The blocks of one epoch that the current micro-batch touches, loaded on demand; retired
// blocks go back to a pool so their buffers are reused (no allocation per block).
class BlockWindow {
 public:
  // Spans go to the timeline track `track` (one per worker).
  BlockWindow(BlockReader& reader, int track) : reader_(reader), track_(track) {}

  const BlockData& get(int64_t epoch, int64_t index) {
    for (const auto& b : loaded_) {
      if (b->epoch == epoch && b->block.index == index) return *b;
    }
    std::unique_ptr<BlockData> data;
    if (pool_.empty()) {
      data = std::make_unique<BlockData>();
    } else {
      data = std::move(pool_.back());
      pool_.pop_back();
    }
    Stopwatch watch;
    DPT_TRACE_SPAN("read block", track_);
    reader_.read(epoch, index, data.get());
    read_seconds_ += watch.seconds();
    ++blocks_read_;
    loaded_.push_back(std::move(data));
    return *loaded_.back();
  }

  // Positions only grow within an epoch: blocks before `index` are not needed again.
  void retire_before(int64_t epoch, int64_t index) {
    for (auto it = loaded_.begin(); it != loaded_.end();) {
      if ((*it)->epoch != epoch || (*it)->block.index < index) {
        pool_.push_back(std::move(*it));
        it = loaded_.erase(it);
      } else {
        ++it;
      }
    }
  }

  double read_seconds() const { return read_seconds_; }
  int64_t blocks_read() const { return blocks_read_; }
  int64_t hdf5_bytes() const { return reader_.hdf5_bytes(); }

 private:
  BlockReader& reader_;
  int track_;
  std::vector<std::unique_ptr<BlockData>> loaded_;
  std::vector<std::unique_ptr<BlockData>> pool_;
  double read_seconds_ = 0;
  int64_t blocks_read_ = 0;
};

LoaderOptions loader_options_from_config(const config::Config& config, const std::string& dir) {
  LoaderOptions o;
  o.dir = dir;
  o.plan.seed = static_cast<uint64_t>(config.get_int("data.seed"));
  o.plan.shuffle = config.get_bool("data.shuffle");
  o.plan.shuffle_block = config.get_int("data.shuffle_block");
  o.prefetch = static_cast<int>(config.get_int("data.prefetch"));
  o.workers = static_cast<int>(config.get_int("data.workers"));
  o.pixel_mean = static_cast<float>(config.get_double("data.pixel_mean"));
  o.pixel_std = static_cast<float>(config.get_double("data.pixel_std"));
  return o;
}

int auto_loader_workers(int world_size) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  const int affinity = ::sched_getaffinity(0, sizeof allowed, &allowed) == 0 ? CPU_COUNT(&allowed) : 1;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // Ranks pinned to their own cores see only those; unpinned ranks on one node share all of them.
  return std::clamp(std::min(affinity, cores / std::max(1, world_size)), 1, 4);
}

Loader::Loader(LoaderOptions options, LoaderState start_state) : options_(std::move(options)) {
  const BatchGeometry& g = options_.geometry;
  g.check();
  DPT_CHECK(options_.rank >= 0 && options_.rank < g.world_size, InternalError,
            "loader rank " << options_.rank << " outside world size " << g.world_size);
  DPT_CHECK(options_.prefetch >= 1, ConfigError, "data.prefetch must be >= 1, got " << options_.prefetch);
  DPT_CHECK(options_.workers >= 0, ConfigError, "data.workers must be >= 0 (0 = automatic), got " << options_.workers);
  dataset_ = std::make_unique<Dataset>(options_.dir);
  plan_ = std::make_unique<SamplePlan>(dataset_->manifest().shard_sizes(), options_.plan);
  const bool train = options_.mode == LoaderMode::kTrain;
  DPT_CHECK(!train || plan_->total() >= g.global_batch, DataError,
            "dataset '" << options_.dir << "' has " << plan_->total() << " samples, fewer than one global batch of "
                        << g.global_batch << ": training would run no step; lower train.global_batch or use a "
                                             "larger dataset");
  steps_per_epoch_ = data::steps_per_epoch(plan_->total(), g.global_batch, train);
  std::vector<std::string> paths;
  bool mapped = true;
  for (size_t i = 0; i < dataset_->num_shards(); ++i) {
    paths.push_back(dataset_->shard(i).path());
    for (size_t f = 0; f < dataset_->manifest().fields.size(); ++f) mapped = mapped && dataset_->shard(i).is_mapped(f);
  }
  // Note [Collation workers]
  workers_ = !mapped ? 1 : options_.workers > 0 ? options_.workers : auto_loader_workers(g.world_size);
  // Note [Batch runs]
  const int64_t batch_bytes = std::max<int64_t>(1, g.micro_batch * dataset_->manifest().sample_bytes());
  run_batches_ = std::clamp<int64_t>(options_.run_bytes / batch_bytes, 1, kMaxRunBatches);
  builder_ = std::make_unique<BatchBuilder>(dataset_->manifest(), paths, options_.pixel_mean, options_.pixel_std);
  consumed_ = normalize(start_state);
  start(consumed_);
}

Loader::~Loader() { stop(); }

LoaderState Loader::normalize(LoaderState s) const {
  const int64_t g = options_.geometry.global_batch;
  DPT_CHECK(s.epoch >= 0 && s.position >= 0 && s.position % g == 0, DataError,
            "cannot resume the loader at epoch " << s.epoch << ", position " << s.position
                                                 << ": the position is not a whole number of global batches of " << g
                                                 << " samples; resume with the global batch the state was saved with");
  DPT_CHECK(s.position / g <= steps_per_epoch_, DataError,
            "cannot resume the loader at position " << s.position << ": an epoch of '" << options_.dir << "' has only "
                                                    << steps_per_epoch_ << " steps of " << g
                                                    << " samples; the state belongs to another dataset");
  if (s.position / g == steps_per_epoch_) return {s.epoch + 1, 0};
  return s;
}

void Loader::start(LoaderState from) {
  stop_ = false;
  ring_.assign(static_cast<size_t>(capacity()), std::nullopt);
  next_ = ready_ = 0;
  ready_ends_ = false;
  for (int w = 0; w < workers_; ++w) threads_.emplace_back(&Loader::run, this, w, from);
}

void Loader::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  not_full_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  ring_.clear();
  taken_.clear();
  tail_.reset();
}

void Loader::restore(LoaderState state) {
  const LoaderState s = normalize(state);
  stop();
  finished_ = false;
  error_ = nullptr;
  consumed_ = s;
  start(s);
}

bool Loader::put(int64_t run, Item item) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!stop_ && run >= next_ + capacity()) {
    ++producers_waiting_;
    not_full_.wait(lock, [&] { return stop_ || run < next_ + capacity(); });
    --producers_waiting_;
  }
  if (stop_) return false;
  ring_[static_cast<size_t>(run % capacity())] = std::move(item);
  // Extend the sequence of runs the consumer can take.
  while (!ready_ends_ && ready_ < capacity()) {
    const std::optional<Item>& slot = ring_[static_cast<size_t>((next_ + ready_) % capacity())];
    if (!slot) break;
    ++ready_;
    ready_ends_ = slot->last();
  }
  // Note [Batched hand-off]
  if (consumer_waiting_ && (ready_ends_ || ready_ >= wake_at())) not_empty_.notify_one();
  return true;
}

void Loader::run(int worker, LoaderState from) {
  // The micro-batch being built, or the next one when its run is another worker's.
  int64_t seq = 0;
  const auto mine = [&](int64_t s) { return (s / run_batches_) % workers_ == worker; };
  Item item;  // the run being built (Note [Batch runs])
  BatchSlab slab;
  try {
    BlockReader reader(*dataset_, *plan_);
    BlockWindow window(reader, trace::kDataTrack + worker);
    const BatchGeometry& g = options_.geometry;
    // Enough for this worker's runs in the ring and taken by the consumer, and one in the making.
    SlabPool slabs(*builder_, run_batches_ * g.micro_batch, static_cast<size_t>(2 * capacity() / workers_ + 2));
    const bool train = options_.mode == LoaderMode::kTrain;
    for (LoaderState s = from; train ? (options_.max_epochs == 0 || s.epoch < options_.max_epochs) : s.epoch < 1;
         s = {s.epoch + 1, 0}) {
      for (int64_t step = s.position / g.global_batch; step < steps_per_epoch_; ++step) {
        for (int64_t micro = 0; micro < g.micro_steps(); ++micro, ++seq) {
          if (!mine(seq)) continue;
          if (item.batches.empty()) {
            slab = BatchSlab{};  // the last run's slab, free once the consumer is done with it
            slab = slabs.take();
            item.batches.reserve(static_cast<size_t>(run_batches_));
          }
          item.batches.push_back(build(s.epoch, step, micro, window, worker, slab));
          if (seq % run_batches_ == run_batches_ - 1) {
            if (!put(seq / run_batches_, std::move(item))) return;
            item = Item{};
          }
        }
      }
      std::lock_guard<std::mutex> lock(mutex_);
      if (stop_) return;
    }
    // The run holding the end: this worker's when it holds seq (then `item` has its batches so far).
    if (mine(seq)) {
      item.end = true;
      put(seq / run_batches_, std::move(item));
    }
  } catch (...) {
    item.error = std::current_exception();
    const int64_t run = seq / run_batches_;  // this worker's run of seq, or its next one
    put(run + (worker - run % workers_ + workers_) % workers_, std::move(item));
  }
}

Batch Loader::build(int64_t epoch, int64_t step, int64_t micro, BlockWindow& window, int worker, BatchSlab& slab) {
  const BatchGeometry& g = options_.geometry;
  const int64_t block_size = plan_->block_size();
  const int64_t begin = g.micro_batch_begin(step, micro, options_.rank);
  const double read_before = window.read_seconds();
  const int64_t blocks_before = window.blocks_read(), hdf5_before = window.hdf5_bytes();
  Stopwatch watch;
  window.retire_before(epoch, begin / block_size);
  Batch batch = [&] {
    DPT_TRACE_SPAN("build batch", trace::kDataTrack + worker);
    return builder_->build(begin, g.micro_batch, plan_->total(), block_size,
                           [&](int64_t k) -> const BlockData& { return window.get(epoch, k); }, slab);
  }();
  batch.epoch = epoch;
  batch.step = step;
  batch.micro_step = micro;
  batch.last_micro_step = micro + 1 == g.micro_steps();
  batch.last_step = step + 1 == steps_per_epoch_;
  const double read = window.read_seconds() - read_before;
  std::lock_guard<std::mutex> lock(stats_mutex_);
  stats_.read_seconds += read;
  stats_.collate_seconds += watch.seconds() - read;
  stats_.blocks_read += window.blocks_read() - blocks_before;
  stats_.hdf5_bytes += window.hdf5_bytes() - hdf5_before;
  ++stats_.batches_built;
  return batch;
}

std::optional<Batch> Loader::next() {
  if (error_) std::rethrow_exception(error_);
  if (finished_) return std::nullopt;
  if (taken_.empty() && !tail_) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (ready_ == 0) {
      // A worker waiting for a slot behind a gap in the ring is woken here at the latest.
      if (producers_waiting_ > 0) not_full_.notify_all();
      consumer_waiting_ = true;
      not_empty_.wait(lock, [&] { return ready_ >= wake_at() || ready_ends_; });
      consumer_waiting_ = false;
    }
    // Note [Batched hand-off]: everything ready in one go, then the workers refill the ring.
    for (; ready_ > 0; --ready_, ++next_) {
      std::optional<Item>& slot = ring_[static_cast<size_t>(next_ % capacity())];
      for (Batch& b : slot->batches) taken_.push_back(std::move(b));
      if (slot->last()) tail_ = Item{{}, slot->error, slot->end};
      slot.reset();
    }
    ready_ends_ = false;
    if (producers_waiting_ > 0) not_full_.notify_all();
  }
  if (taken_.empty()) {  // only how the sequence ends is left
    finished_ = true;
    error_ = tail_->error;
    tail_.reset();
    if (error_) std::rethrow_exception(error_);
    return std::nullopt;
  }
  Batch batch = std::move(taken_.front());
  taken_.pop_front();
  advance_consumed(batch);
  return batch;
}

void Loader::advance_consumed(const Batch& batch) {
  if (!batch.last_micro_step) return;
  consumed_ = batch.last_step ? LoaderState{batch.epoch + 1, 0}
                              : LoaderState{batch.epoch, (batch.step + 1) * options_.geometry.global_batch};
}

LoaderStats Loader::stats() const {
  std::lock_guard<std::mutex> lock(stats_mutex_);
  return stats_;
}

}  // namespace dpt::data
