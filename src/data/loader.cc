#include "data/loader.h"

#include "common/error.h"
#include "common/timer.h"
#include "common/trace.h"
#include "config/config.h"

namespace dpt::data {

// Note [Loader shutdown]
// The background thread blocks in one place only: push(), waiting for room in the queue.
// stop() sets stop_ under the mutex and wakes it, so push() returns false and the thread
// unwinds at once (a block read already under way finishes first: milliseconds). The consumer
// blocks only in next(), which the thread always satisfies in the end: with a batch, the end
// marker or its error (it catches everything). So neither side waits for the other forever,
// whether the consumer stops early, throws (the destructor runs during unwinding), or calls
// restore().

// Note [Batched hand-off]
// Waking a sleeping thread costs several microseconds here (a futex call and, in a VM, an
// interrupt to the other core), as much as building a small micro-batch. So neither side wakes
// the other for every batch. When training is slower than the loader (the normal case) the
// producer sleeps on a full queue and the consumer wakes it once the queue has drained to
// half. When the loader is slower (benchmarks, tiny models), a consumer that finds the queue
// empty sleeps until the producer has filled it (or queued the end or an error), one wake-up
// per `prefetch` batches. Throughput is unchanged — the faster side waits either way.

// The blocks of one epoch that the current micro-batch touches, loaded on demand; retired
// blocks go back to a pool so their buffers are reused (no allocation per block).
class BlockWindow {
 public:
  explicit BlockWindow(BlockReader& reader) : reader_(reader) {}

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
    DPT_TRACE_SPAN("read block", trace::kDataTrack);
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
  o.pixel_mean = static_cast<float>(config.get_double("data.pixel_mean"));
  o.pixel_std = static_cast<float>(config.get_double("data.pixel_std"));
  return o;
}

Loader::Loader(LoaderOptions options, LoaderState start_state) : options_(std::move(options)) {
  const BatchGeometry& g = options_.geometry;
  g.check();
  DPT_CHECK(options_.rank >= 0 && options_.rank < g.world_size, InternalError,
            "loader rank " << options_.rank << " outside world size " << g.world_size);
  DPT_CHECK(options_.prefetch >= 1, ConfigError, "data.prefetch must be >= 1, got " << options_.prefetch);
  dataset_ = std::make_unique<Dataset>(options_.dir);
  plan_ = std::make_unique<SamplePlan>(dataset_->manifest().shard_sizes(), options_.plan);
  const bool train = options_.mode == LoaderMode::kTrain;
  DPT_CHECK(!train || plan_->total() >= g.global_batch, DataError,
            "dataset '" << options_.dir << "' has " << plan_->total() << " samples, fewer than one global batch of "
                        << g.global_batch << ": training would run no step; lower train.global_batch or use a "
                                             "larger dataset");
  steps_per_epoch_ = data::steps_per_epoch(plan_->total(), g.global_batch, train);
  std::vector<std::string> paths;
  for (size_t i = 0; i < dataset_->num_shards(); ++i) paths.push_back(dataset_->shard(i).path());
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
  thread_ = std::thread(&Loader::run, this, from);
}

void Loader::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  not_full_.notify_all();
  if (thread_.joinable()) thread_.join();
  queue_.clear();
}

void Loader::restore(LoaderState state) {
  const LoaderState s = normalize(state);
  stop();
  finished_ = false;
  error_ = nullptr;
  consumed_ = s;
  start(s);
}

bool Loader::push(Item item) {
  const bool last = !item.batch.has_value();  // the end marker or an error
  std::unique_lock<std::mutex> lock(mutex_);
  not_full_.wait(lock, [&] { return stop_ || queue_.size() < capacity(); });
  if (stop_) return false;
  queue_.push_back(std::move(item));
  // Note [Batched hand-off]
  if (consumer_waiting_ && (last || queue_.size() >= capacity())) not_empty_.notify_one();
  return true;
}

void Loader::run(LoaderState from) {
  try {
    BlockReader reader(*dataset_, *plan_);
    BlockWindow window(reader);
    const bool train = options_.mode == LoaderMode::kTrain;
    for (LoaderState s = from; train ? (options_.max_epochs == 0 || s.epoch < options_.max_epochs) : s.epoch < 1;
         s = {s.epoch + 1, 0}) {
      produce_epoch(s.epoch, s.position / options_.geometry.global_batch, window);
      std::lock_guard<std::mutex> lock(mutex_);
      if (stop_) return;
    }
    push(Item{std::nullopt, nullptr, true});
  } catch (...) {
    push(Item{std::nullopt, std::current_exception(), false});
  }
}

void Loader::produce_epoch(int64_t epoch, int64_t first_step, BlockWindow& window) {
  const BatchGeometry& g = options_.geometry;
  const int64_t block_size = plan_->block_size();
  auto block_at = [&](int64_t k) -> const BlockData& { return window.get(epoch, k); };
  for (int64_t step = first_step; step < steps_per_epoch_; ++step) {
    for (int64_t micro = 0; micro < g.micro_steps(); ++micro) {
      const int64_t begin = g.micro_batch_begin(step, micro, options_.rank);
      const double read_before = window.read_seconds();
      Stopwatch watch;
      window.retire_before(epoch, begin / block_size);
      Batch batch = [&] {
        DPT_TRACE_SPAN("build batch", trace::kDataTrack);
        return builder_->build(begin, g.micro_batch, plan_->total(), block_size, block_at);
      }();
      batch.epoch = epoch;
      batch.step = step;
      batch.micro_step = micro;
      batch.last_micro_step = micro + 1 == g.micro_steps();
      batch.last_step = step + 1 == steps_per_epoch_;
      const double read = window.read_seconds() - read_before;
      read_seconds_ = read_seconds_ + read;
      collate_seconds_ = collate_seconds_ + (watch.seconds() - read);
      blocks_read_ = window.blocks_read();
      hdf5_bytes_ = window.hdf5_bytes();
      ++batches_built_;
      if (!push(Item{std::move(batch), nullptr, false})) return;
    }
  }
}

std::optional<Batch> Loader::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (error_) std::rethrow_exception(error_);
  if (finished_) return std::nullopt;
  if (queue_.empty()) {
    consumer_waiting_ = true;
    not_empty_.wait(lock, [&] {
      return queue_.size() >= capacity() || (!queue_.empty() && !queue_.back().batch.has_value());
    });
    consumer_waiting_ = false;
  }
  Item item = std::move(queue_.front());
  queue_.pop_front();
  if (queue_.size() + 1 == half_queue()) not_full_.notify_one();  // Note [Batched hand-off]
  if (item.error) {
    error_ = item.error;
    finished_ = true;
    std::rethrow_exception(error_);
  }
  if (item.end) {
    finished_ = true;
    return std::nullopt;
  }
  lock.unlock();
  advance_consumed(*item.batch);
  return std::move(item.batch);
}

void Loader::advance_consumed(const Batch& batch) {
  if (!batch.last_micro_step) return;
  consumed_ = batch.last_step ? LoaderState{batch.epoch + 1, 0}
                              : LoaderState{batch.epoch, (batch.step + 1) * options_.geometry.global_batch};
}

LoaderStats Loader::stats() const {
  LoaderStats s;
  s.hdf5_bytes = hdf5_bytes_;
  s.blocks_read = blocks_read_;
  s.batches_built = batches_built_;
  s.read_seconds = read_seconds_;
  s.collate_seconds = collate_seconds_;
  return s;
}

}  // namespace dpt::data
