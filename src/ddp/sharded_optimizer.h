#pragma once
// ShardedOptimizer: ZeRO stage 1 (ddp.shard_optimizer = true) -- each rank keeps and updates
// only its block of the optimizer state.
//
// Note [ZeRO-1]
// The GradReducer, built with ReducerOptions::shard, cuts every bucket into W equal blocks and
// reduce-scatters it (Note [Sharded reduction]); rank r owns block r of every bucket. For each
// bucket the rank keeps a flat master copy of its block of the parameters, and the LibTorch
// optimizer (optim.name) runs over these blocks only, so its state (SGD momentum, Adam moments)
// is 1/W of the unsharded state. One step:
//   1. reducer.finalize(): the averaged gradient block of every bucket is in grad_shard(b);
//   2. clipping: the global norm is the square root of the all-reduced sum of every rank's
//      squared block norms (padding is zero and adds nothing);
//   3. the optimizer updates the master blocks;
//   4. every bucket's blocks are all-gathered into a flat buffer and copied into the parameters.
// sgd, adam and adamw update element by element, so the parameters equal the unsharded run's up
// to the reduction order of the gradients. Padding elements have zero parameters and gradients
// and stay zero. Memory: the state is 1/W, but the rank holds one flat copy of the parameters
// (the all-gather target) besides the model's own.
#include <ATen/core/Tensor.h>
#include <torch/optim/optimizer.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "comm/communicator.h"
#include "ddp/grad_reducer.h"

namespace dpt::ddp {

using OptimizerFactory = std::function<std::unique_ptr<torch::optim::Optimizer>(const std::vector<at::Tensor>&)>;

// One piece of one parameter's optimizer state held by this rank: the flat elements
// [begin, begin + values.numel()) of state `name` of parameter `param` (index into the
// parameter list). "step" (adam, adamw) is a 0-dim int64 counter, the same on every rank.
struct StatePiece {
  size_t param = 0;
  std::string name;
  int64_t begin = 0;
  at::Tensor values;
};

class ShardedOptimizer {
 public:
  // `params` and `reducer` are the ones the reducer was built with (options.shard = true);
  // `make` builds the optimizer (optim::make_optimizer) over the master blocks. Both must
  // outlive this object. Every rank constructs it with the same parameters.
  ShardedOptimizer(std::vector<at::Tensor> params, GradReducer& reducer, comm::Communicator& comm,
                   const OptimizerFactory& make);

  // The optimizer over this rank's blocks (e.g. to set the learning rate).
  torch::optim::Optimizer& optimizer() { return *optimizer_; }

  // Collective, after reducer.finalize(): hands this rank's averaged gradient blocks to the
  // master blocks and returns the global L2 norm of the gradients (one 8-byte all-reduce).
  double grad_norm();
  // Collective, after grad_norm(): clips to clip_norm (when > 0) given the global `norm` and
  // updates the parameters (Note [ZeRO-1]), ending with their all-gather.
  void step(double norm, double clip_norm);
  // Zeroes the parameters' local gradients.
  void zero_grad();
  // Copies the parameters' current values into the master blocks: after loading parameters.
  void reload_parameters();

  // This rank's pieces of every parameter's state, for checkpoints: every parameter and state
  // name appears on every rank (pieces may be empty); none before the first step.
  std::vector<StatePiece> state_pieces();
  // Rebuilds this rank's state from whole per-parameter state tensors: get(param, name)
  // returns state `name` of parameter `param` with the parameter's shape (or the 0-dim step),
  // or an undefined tensor when it is absent. Works for a state written by any world size.
  void load_state(const std::function<at::Tensor(size_t param, const char* name)>& get);
  // Bytes of optimizer state on this rank.
  int64_t state_bytes();

 private:
  // Parameter `index`'s elements inside this rank's block: [begin, begin + length) of the
  // flattened parameter at [block_offset, ...) of the block.
  struct Overlap {
    int64_t begin = 0;
    int64_t block_offset = 0;
    int64_t length = 0;
  };
  Overlap overlap(size_t index) const;

  std::vector<at::Tensor> params_;
  GradReducer& reducer_;
  comm::Communicator& comm_;
  std::vector<at::Tensor> flat_;     // per bucket: all ranks' blocks, the all-gather target
  std::vector<at::Tensor> masters_;  // per bucket: this rank's block of the parameters
  std::vector<std::vector<size_t>> members_;  // per bucket: its parameter indices
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
};

}  // namespace dpt::ddp
