#include "ddp/sharded_optimizer.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "common/error.h"
#include "optim/optimizer.h"
#include "optim/state.h"

namespace dpt::ddp {

ShardedOptimizer::ShardedOptimizer(std::vector<at::Tensor> params, GradReducer& reducer, comm::Communicator& comm,
                                   const OptimizerFactory& make)
    : params_(std::move(params)), reducer_(reducer), comm_(comm) {
  const size_t buckets = reducer_.buckets().size();
  members_.resize(buckets);
  for (size_t i = 0; i < params_.size(); ++i) members_[reducer_.bucket_of(i)].push_back(i);
  for (size_t b = 0; b < buckets; ++b) {
    DPT_CHECK(reducer_.grad_shard(b).defined(), InternalError,
              "ShardedOptimizer needs a GradReducer built with ReducerOptions::shard");
    const at::Tensor& first = params_[members_[b].front()];
    flat_.push_back(at::zeros({reducer_.bucket_numel(b)}, first.options().requires_grad(false)));
    masters_.push_back(at::zeros({reducer_.bucket_numel(b) / comm_.size()}, flat_.back().options()));  // padding: 0
  }
  reload_parameters();
  optimizer_ = make(masters_);
}

ShardedOptimizer::Overlap ShardedOptimizer::overlap(size_t index) const {
  const size_t b = reducer_.bucket_of(index);
  const int64_t block = masters_[b].numel();
  const int64_t start = reducer_.offset_of(index), end = start + params_[index].numel();
  const int64_t lo = std::max(start, comm_.rank() * block), hi = std::min(end, (comm_.rank() + 1) * block);
  if (hi <= lo) return {};
  return {lo - start, lo - comm_.rank() * block, hi - lo};
}

void ShardedOptimizer::reload_parameters() {
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Overlap o = overlap(i);
    if (o.length == 0) continue;
    masters_[reducer_.bucket_of(i)].narrow(0, o.block_offset, o.length)
        .copy_(params_[i].detach().reshape({-1}).narrow(0, o.begin, o.length));
  }
}

double ShardedOptimizer::grad_norm() {
  std::vector<at::Tensor> squares;
  for (size_t b = 0; b < masters_.size(); ++b) {
    const at::Tensor& shard = reducer_.grad_shard(b);
    masters_[b].mutable_grad() = shard.scalar_type() == masters_[b].scalar_type() ? shard : shard.to(masters_[b].scalar_type());
    squares.push_back(masters_[b].grad().to(at::kDouble).pow(2).sum());
  }
  // Note [ZeRO-1] step 2: one all-reduce of this rank's sum of squares.
  at::Tensor total = at::stack(squares).sum().reshape({1}).contiguous();
  comm_.allreduce(total, comm::ReduceOp::kSum);
  return std::sqrt(total.item<double>());
}

void ShardedOptimizer::step(double norm, double clip_norm) {
  std::vector<at::Tensor> grads;
  for (auto& master : masters_) grads.push_back(master.grad());
  optim::clip_to_norm(grads, norm, clip_norm);
  optimizer_->step();
  std::vector<std::shared_ptr<comm::Work>> gathers;
  for (size_t b = 0; b < masters_.size(); ++b) gathers.push_back(comm_.allgather_async(masters_[b], flat_[b]));
  at::NoGradGuard no_grad;
  for (size_t b = 0; b < masters_.size(); ++b) {
    gathers[b]->wait();
    for (size_t i : members_[b]) {
      params_[i].view({-1}).copy_(flat_[b].narrow(0, reducer_.offset_of(i), params_[i].numel()));
    }
  }
}

void ShardedOptimizer::zero_grad() {
  for (auto& p : params_) {
    if (p.grad().defined()) p.mutable_grad().zero_();
  }
}

std::vector<StatePiece> ShardedOptimizer::state_pieces() {
  std::vector<StatePiece> out;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Overlap o = overlap(i);
    for (const auto& [name, state] : optim::param_state(*optimizer_, masters_[reducer_.bucket_of(i)])) {
      if (name == "step") {
        out.push_back({i, name, 0, state});
      } else {
        out.push_back({i, name, o.begin, state.narrow(0, o.block_offset, o.length)});
      }
    }
  }
  return out;
}

void ShardedOptimizer::load_state(const std::function<at::Tensor(size_t param, const char* name)>& get) {
  optimizer_->state().clear();
  for (size_t b = 0; b < masters_.size(); ++b) {
    optim::set_param_state(*optimizer_, masters_[b], [&](const char* name) -> at::Tensor {
      const at::Tensor first = get(members_[b].front(), name);
      if (!first.defined() || std::string(name) == "step") return first;
      at::Tensor block = at::zeros_like(masters_[b]);
      for (size_t i : members_[b]) {
        const Overlap o = overlap(i);
        if (o.length == 0) continue;
        const at::Tensor whole = get(i, name);
        DPT_CHECK(whole.defined() && whole.numel() == params_[i].numel(), CheckpointError,
                  "optimizer state " << name << " is missing or misshapen for parameter " << i);
        block.narrow(0, o.block_offset, o.length).copy_(whole.reshape({-1}).narrow(0, o.begin, o.length));
      }
      return block;
    });
  }
}

int64_t ShardedOptimizer::state_bytes() { return optim::state_bytes(*optimizer_); }

}  // namespace dpt::ddp
