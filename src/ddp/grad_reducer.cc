#include "ddp/grad_reducer.h"

#include <ATen/ATen.h>

#include "comm/collective.h"
#include "common/error.h"
#include "common/log.h"
#include "common/timer.h"
#include "ddp/buckets.h"

namespace dpt::ddp {

GradReducer::GradReducer(std::vector<std::string> names, std::vector<at::Tensor> params,
                         comm::Communicator& comm, ReducerOptions options)
    : names_(std::move(names)), params_(std::move(params)), comm_(comm), shard_(options.shard),
      rank_flags_(options.rank_flags) {
  DPT_CHECK(!(shard_ && rank_flags_), InternalError, "GradReducer: rank_flags and shard exclude each other");
  DPT_CHECK(names_.size() == params_.size(), InternalError, "GradReducer: names and params differ in count");
  buckets_ = assign_buckets(params_, options.first_bucket_bytes, options.bucket_bytes);
  slots_.resize(params_.size());
  for (size_t b = 0; b < buckets_.size(); ++b) {
    int64_t offset = 0;
    for (size_t index : buckets_[b]) {
      slots_[index] = {b, offset};
      offset += params_[index].numel();
    }
    const at::Tensor& first = params_[buckets_[b].front()];
    const at::TensorOptions dtype = first.options().dtype(options.grad_dtype.value_or(first.scalar_type()));
    if (rank_flags_ && b + 1 == buckets_.size()) offset += comm_.size();  // Note [Rank flags]
    Bucket bucket;
    if (shard_) {  // Note [Sharded reduction]: zero padding to a multiple of the world size
      const int64_t block = (offset + comm_.size() - 1) / comm_.size();
      bucket.buffer = at::zeros({block * comm_.size()}, dtype);
      bucket.shard = at::empty({block}, dtype);
    } else {
      bucket.buffer = at::empty({offset}, dtype);
    }
    state_.push_back(std::move(bucket));
  }
  ready_.assign(params_.size(), false);
  warned_unused_.assign(params_.size(), false);
  for (size_t i = 0; i < params_.size(); ++i) {
    DPT_CHECK(params_[i].requires_grad(), InternalError, "GradReducer: " << names_[i] << " needs no gradient");
    hooks_.push_back(params_[i].register_hook([this, i](const at::Tensor& grad) { on_gradient(i, grad); }));
  }
}

GradReducer::~GradReducer() {
  for (size_t i = 0; i < hooks_.size(); ++i) params_[i].remove_hook(hooks_[i]);
}

at::Tensor GradReducer::slice(size_t index) {
  const Slot& s = slots_[index];
  return state_[s.bucket].buffer.narrow(0, s.offset, params_[index].numel()).view(params_[index].sizes());
}

void GradReducer::prepare_backward(bool sync) {
  std::lock_guard<std::mutex> lock(mutex_);
  sync_ = sync;
  if (!sync) return;
  std::fill(ready_.begin(), ready_.end(), false);
  for (size_t b = 0; b < buckets_.size(); ++b) {
    state_[b].pending = buckets_[b].size();
    state_[b].work.reset();
  }
  if (rank_flags_) {
    ++state_.back().pending;  // the flags are one more slice
    flags().zero_();
    flag_set_ = false;
  }
  next_launch_ = 0;
  launched_in_backward_ = 0;
}

void GradReducer::on_gradient(size_t index, const at::Tensor& grad) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!sync_ || ready_[index]) return;
  // The hook runs before autograd adds `grad` into .grad: the reduced value is the sum of the
  // earlier micro-steps' accumulation and this one.
  const at::Tensor& accumulated = params_[index].grad();
  if (accumulated.defined()) {
    at::Tensor dst = slice(index);
    at::add_out(dst, accumulated, grad);  // add_out converts to the bucket dtype
  } else {
    slice(index).copy_(grad);
  }
  ready_[index] = true;
  if (--state_[slots_[index].bucket].pending == 0) {
    const size_t before = next_launch_;
    launch_ready();
    launched_in_backward_ += next_launch_ - before;
  }
}

at::Tensor GradReducer::flags() {
  at::Tensor& last = state_.back().buffer;
  return last.narrow(0, last.numel() - comm_.size(), comm_.size());
}

void GradReducer::set_rank_flag(const at::Tensor& flag) {
  std::lock_guard<std::mutex> lock(mutex_);
  DPT_CHECK(rank_flags_ && sync_ && !flag_set_, InternalError,
            "GradReducer::set_rank_flag: needs rank_flags, a sync step and at most one call per step");
  flags().narrow(0, comm_.rank(), 1).copy_(flag.reshape({1}));
  flag_set_ = true;
  if (--state_.back().pending == 0) launch_ready();
}

std::vector<int> GradReducer::flagged_ranks() const {
  DPT_CHECK(rank_flags_, InternalError, "GradReducer::flagged_ranks without rank_flags");
  const at::Tensor& last = state_.back().buffer;
  const at::Tensor set = last.narrow(0, last.numel() - comm_.size(), comm_.size()).ne(0).to(at::kCPU);
  std::vector<int> out;
  for (int r = 0; r < comm_.size(); ++r) {
    if (set[r].item<bool>()) out.push_back(r);
  }
  return out;
}

void GradReducer::launch_ready() {
  while (next_launch_ < buckets_.size() && state_[next_launch_].pending == 0) {
    Bucket& bucket = state_[next_launch_];
    const comm::CollectiveLabel label("gradient bucket", static_cast<int>(next_launch_));
    bucket.work = shard_ ? comm_.reduce_scatter_async(bucket.buffer, bucket.shard, comm::ReduceOp::kAvg)
                         : comm_.allreduce_async(bucket.buffer, comm::ReduceOp::kAvg);
    ++next_launch_;
  }
}

double GradReducer::finalize() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    DPT_CHECK(sync_, InternalError, "GradReducer::finalize() without prepare_backward(true)");
    for (size_t i = 0; i < params_.size(); ++i) {
      if (ready_[i]) continue;
      const at::Tensor& accumulated = params_[i].grad();
      if (accumulated.defined()) {
        slice(i).copy_(accumulated);
      } else {
        slice(i).zero_();
        if (!warned_unused_[i]) {
          warned_unused_[i] = true;
          DPT_LOG(kWarn) << "parameter " << names_[i] << " received no gradient; it contributes zeros";
        }
      }
      ready_[i] = true;
      --state_[slots_[i].bucket].pending;
    }
    if (rank_flags_ && !flag_set_) {
      flag_set_ = true;  // left at zero
      --state_.back().pending;
    }
    launch_ready();
    sync_ = false;
  }
  Stopwatch waiting;
  for (Bucket& bucket : state_) bucket.work->wait();
  const double exposed = waiting.seconds();
  if (shard_) return exposed;  // the blocks stay in grad_shard() for the sharded optimizer
  for (size_t i = 0; i < params_.size(); ++i) {
    at::Tensor& grad = params_[i].mutable_grad();
    if (!grad.defined()) grad = at::zeros_like(params_[i]);
    grad.copy_(slice(i));
  }
  return exposed;
}

}  // namespace dpt::ddp
