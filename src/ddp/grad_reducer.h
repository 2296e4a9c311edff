#pragma once
// GradReducer: averages gradients over all ranks, bucketed and overlapped with backward.
//
// Usage per optimizer step of A micro-steps (the same on every rank):
//   for m in 0..A-1: reducer.prepare_backward(/*sync=*/m == A-1); loss_m.backward();
//   reducer.finalize();   // every parameter's .grad now holds the average over ranks
//   optimizer.step();
// Micro-steps with sync=false only accumulate into .grad locally (no communication).
//
// Note [Overlap]
// In the sync micro-step a hook on every parameter fires when autograd has computed its
// gradient. The hook copies (accumulated .grad + new gradient) into the parameter's slice of
// its bucket's flat buffer. When a bucket's last slice arrives, the bucket (and any later
// ready ones) is handed to the communicator as an async all-reduce — strictly in bucket index
// order, the same on every rank (Note [Bucket order]) — and runs on the communication thread
// while autograd goes on with earlier layers. finalize() launches what is left (parameters that
// got no gradient contribute their accumulated .grad or zeros), waits, and copies the averaged
// buffers back into .grad (converting from ddp.grad_dtype when it is bf16/fp16).
//
// Note [Sharded reduction]
// With ReducerOptions::shard (ddp.shard_optimizer, ZeRO stage 1) each bucket's buffer is padded
// with zeros to a multiple of the world size W and reduce-scattered instead of all-reduced:
// rank r receives the average of block r (elements [r·S, (r+1)·S), S = padded size / W) in
// grad_shard(bucket), and .grad is left as it was (this rank's local gradient). Launch order,
// overlap and accumulation are as above; ddp/sharded_optimizer.h updates the blocks.
//
// Note [Rank flags]
// With ReducerOptions::rank_flags the last bucket carries size() extra elements after its
// gradients: in each sync step rank r writes its flag (set_rank_flag, e.g. "my loss is not
// finite") into element r and zeros elsewhere, so after the all-reduce every rank knows every
// rank's flag -- without a collective of its own. The trainer uses it for train.nonfinite.
// Not with shard: a reduce-scatter hands each rank only its block (the sharded step exchanges
// its flags in its own small all-reduce instead).
#include <ATen/core/Tensor.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "comm/communicator.h"

namespace dpt::ddp {

struct ReducerOptions {
  int64_t first_bucket_bytes = int64_t{1} << 20;
  int64_t bucket_bytes = int64_t{25} << 20;
  c10::optional<at::ScalarType> grad_dtype;  // reduce in this dtype; none = the parameter's
  bool shard = false;                         // Note [Sharded reduction]
  bool rank_flags = false;                    // Note [Rank flags]; not with shard
};

class GradReducer {
 public:
  // Registers the hooks. `names` label parameters in warnings. The communicator must outlive
  // the reducer.
  GradReducer(std::vector<std::string> names, std::vector<at::Tensor> params, comm::Communicator& comm,
              ReducerOptions options);
  ~GradReducer();
  GradReducer(const GradReducer&) = delete;
  GradReducer& operator=(const GradReducer&) = delete;

  // Before each micro-step's backward. sync = this micro-step ends the optimizer step.
  void prepare_backward(bool sync);
  // After the sync micro-step's backward: see Note [Overlap]. Returns the seconds spent waiting
  // for communication (the part not hidden behind backward).
  double finalize();
  // Between prepare_backward(true) and finalize(), before the backward that would complete the
  // last bucket: this rank's flag for the step (a one-element tensor, 0 = not set; any device,
  // read without a host sync). Needs rank_flags; unset flags count as 0.
  void set_rank_flag(const at::Tensor& flag);
  bool has_rank_flags() const { return rank_flags_; }
  // After finalize(): the ranks whose flag was non-zero in this step (one host sync).
  std::vector<int> flagged_ranks() const;

  // Where parameter `index` lies: its bucket and its first element in the bucket's buffer.
  size_t bucket_of(size_t index) const { return slots_[index].bucket; }
  int64_t offset_of(size_t index) const { return slots_[index].offset; }
  // Elements of bucket b's buffer (padded to a multiple of the world size when sharded).
  int64_t bucket_numel(size_t b) const { return state_[b].buffer.numel(); }
  // Sharded: this rank's averaged block of bucket b after finalize() (Note [Sharded reduction]).
  const at::Tensor& grad_shard(size_t b) const { return state_[b].shard; }

  const std::vector<std::vector<size_t>>& buckets() const { return buckets_; }
  // Buckets launched from inside backward in the last sync step (the rest waited for finalize).
  size_t buckets_launched_in_backward() const { return launched_in_backward_; }

 private:
  struct Slot {
    size_t bucket;
    int64_t offset;  // elements into the bucket buffer
  };
  struct Bucket {
    at::Tensor buffer;
    at::Tensor shard;  // sharded: this rank's reduced block
    size_t pending = 0;  // slices still missing in this step
    std::shared_ptr<comm::Work> work;
  };

  void on_gradient(size_t index, const at::Tensor& grad);
  at::Tensor slice(size_t index);
  // Launches consecutive ready buckets from next_launch_. Caller holds mutex_.
  void launch_ready();
  // The last bucket's tail of size() flag elements (Note [Rank flags]).
  at::Tensor flags();

  std::vector<std::string> names_;
  std::vector<at::Tensor> params_;
  comm::Communicator& comm_;
  bool shard_;
  std::vector<std::vector<size_t>> buckets_;
  std::vector<Bucket> state_;
  std::vector<Slot> slots_;
  std::vector<unsigned> hooks_;
  std::vector<bool> ready_;  // per parameter, this step
  std::vector<bool> warned_unused_;
  bool rank_flags_ = false;
  bool flag_set_ = false;  // this step

  std::mutex mutex_;  // hooks may run on autograd's device threads
  bool sync_ = false;
  size_t next_launch_ = 0;
  size_t launched_in_backward_ = 0;
};

}  // namespace dpt::ddp
