// ZeRO-1 (Note [ZeRO-1]): K steps with the optimizer state sharded over the ranks end with the
// parameters of the unsharded reducer on the same ranks (max relative difference <= 1e-5 in
// float32; only the reduction algorithm differs: reduce-scatter instead of all-reduce), with
// gradient accumulation and clipping, for sgd and adamw, and with bf16 gradient reduction
// (looser bounds: bf16 sums in another order round differently). The rank's state is 1/W of the
// unsharded state (plus padding), its pieces put together at their global offsets are the
// unsharded optimizer's state, and loading them back on a fresh sharded optimizer reproduces it.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <mpi.h>

#include "comm/mpi/mpi_communicator.h"
#include "ddp/sharded_optimizer.h"
#include "models/model.h"
#include "optim/optimizer.h"
#include "optim/state.h"
#include "train/step.h"
#include "train/task.h"
#include "mpi/ddp/fixture.h"

namespace dpt::train {
namespace {

constexpr int64_t kGlobalBatch = 8;
constexpr int64_t kSteps = 4;

struct Case {
  std::string model;
  std::string optimizer;
  int64_t accumulation;
  double clip_norm = 0;
  bool float64 = false;
  bool bf16_grads = false;  // ddp.grad_dtype = bf16 on both sides
};

config::Config make_config(const Case& c) { return tiny_config(c.model, c.optimizer); }

struct Run {
  std::shared_ptr<models::Model> model;
  std::vector<at::Tensor> params;
  std::unique_ptr<ddp::GradReducer> reducer;
  std::unique_ptr<torch::optim::Optimizer> plain;
  std::unique_ptr<ddp::ShardedOptimizer> sharded;
};

std::unique_ptr<Run> make_run(const Case& c, comm::Communicator& comm, bool shard) {
  const config::Config cfg = make_config(c);
  auto run = std::make_unique<Run>();
  run->model = models::make_model(cfg, {{8, 8}, 4});
  if (c.float64) run->model->to(at::kDouble);
  NamedParams named = named_params(*run->model);
  run->params = named.tensors;
  ddp::ReducerOptions options = small_buckets(1024, 4096);  // several buckets, each cut into W blocks
  options.shard = shard;
  if (c.bf16_grads) options.grad_dtype = at::kBFloat16;
  run->reducer = std::make_unique<ddp::GradReducer>(named.names, run->params, comm, options);
  if (shard) {
    run->sharded = std::make_unique<ddp::ShardedOptimizer>(
        run->params, *run->reducer, comm, [&](const std::vector<at::Tensor>& p) { return optim::make_optimizer(cfg, p); });
  } else {
    run->plain = optim::make_optimizer(cfg, run->params);
  }
  return run;
}

void train(const Case& c, Run& run, comm::Communicator& comm) {
  const TinyData data = tiny_data(kSteps * kGlobalBatch, c.float64);
  const int64_t micro = kGlobalBatch / (comm.size() * c.accumulation);
  const auto task = make_task(make_config(c), {}, SpecialTokens{});
  StepSetup setup{*run.model, *task, run.plain.get(), run.reducer.get(), &comm, run.params, c.accumulation, c.clip_norm};
  setup.sharded = run.sharded.get();
  train_steps(setup, kSteps, kGlobalBatch, comm.size(), comm.rank(), micro,
              [&](int64_t start, int64_t b) { return MicroBatch{data.x.narrow(0, start, b), data.y.narrow(0, start, b)}; });
}

// Every parameter's state, whole: each rank's pieces at their offsets, summed over the ranks.
std::map<std::string, at::Tensor> assemble(Run& run, comm::Communicator& comm) {
  std::map<std::string, at::Tensor> out;
  for (const auto& piece : run.sharded->state_pieces()) {
    const std::string key = std::to_string(piece.param) + "/" + piece.name;
    if (piece.name == "step") {
      out[key] = piece.values;
      continue;
    }
    at::Tensor whole = at::zeros({run.params[piece.param].numel()}, piece.values.options());
    whole.narrow(0, piece.begin, piece.values.numel()).copy_(piece.values);
    comm.allreduce(whole, comm::ReduceOp::kSum);
    out[key] = whole.view(run.params[piece.param].sizes());
  }
  return out;
}

class Sharded : public ::testing::TestWithParam<Case> {};

TEST_P(Sharded, MatchesTheUnshardedReducer) {
  comm::MpiCommunicator comm(MPI_COMM_WORLD);
  const Case& c = GetParam();
  if (kGlobalBatch % (comm.size() * c.accumulation) != 0) GTEST_SKIP() << "batch does not divide";
  auto plain = make_run(c, comm, false);
  auto sharded = make_run(c, comm, true);
  train(c, *plain, comm);
  train(c, *sharded, comm);
  // bf16 sums of 4 ranks round differently in another order: a looser bound there.
  const double tolerance = c.float64 ? 1e-10 : c.bf16_grads ? 1e-2 : 1e-5;
  EXPECT_LE(worst_relative_difference(plain->params, sharded->params), tolerance) << "world " << comm.size();
  const auto untrained = models::make_model(make_config(c), {{8, 8}, 4})->parameters();
  EXPECT_GT((untrained[0] - plain->params[0].to(at::kFloat)).abs().max().item<double>(), 1e-4);

  // The state is cut into W blocks: at most 1/W of the unsharded state plus one padding element
  // per bucket and state tensor.
  const int64_t whole = optim::state_bytes(*plain->plain);
  const int64_t per_state = c.optimizer == "sgd" ? 1 : 2;
  const int64_t padding = static_cast<int64_t>(plain->reducer->buckets().size()) * per_state *
                          static_cast<int64_t>(plain->params[0].element_size());
  EXPECT_GT(whole, 0);
  EXPECT_LE(sharded->sharded->state_bytes(), whole / comm.size() + padding);

  // The pieces at their global offsets are the unsharded state...
  const auto assembled = assemble(*sharded, comm);
  std::vector<at::Tensor> expected, got;
  for (size_t i = 0; i < plain->params.size(); ++i) {
    for (const auto& [name, tensor] : optim::param_state(*plain->plain, plain->params[i])) {
      const auto it = assembled.find(std::to_string(i) + "/" + name);
      ASSERT_NE(it, assembled.end()) << "no " << name << " for parameter " << i;
      expected.push_back(tensor.to(at::kDouble));
      got.push_back(it->second.to(at::kDouble));
    }
  }
  EXPECT_LE(worst_relative_difference(expected, got), c.float64 ? 1e-8 : c.bf16_grads ? 5e-2 : 1e-4);

  // ...and a fresh sharded optimizer loads them back to the same pieces.
  auto fresh = make_run(c, comm, true);
  fresh->sharded->load_state([&](size_t param, const char* name) {
    const auto it = assembled.find(std::to_string(param) + "/" + name);
    return it == assembled.end() ? at::Tensor() : it->second;
  });
  const auto before = sharded->sharded->state_pieces(), after = fresh->sharded->state_pieces();
  ASSERT_EQ(before.size(), after.size());
  for (size_t k = 0; k < before.size(); ++k) {
    EXPECT_EQ(before[k].begin, after[k].begin);
    EXPECT_TRUE(before[k].values.equal(after[k].values)) << before[k].name << " of parameter " << before[k].param;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Sharded,
    ::testing::Values(Case{"mlp", "sgd", 1}, Case{"mlp", "sgd", 2, 0.5}, Case{"mlp", "adamw", 1},
                      Case{"mlp", "adamw", 2, 0.5}, Case{"cnn", "sgd", 1, 1.0}, Case{"cnn", "adamw", 2, 0, true},
                      Case{"mlp", "sgd", 1, 0, false, true}),
    [](const auto& info) {
      const Case& c = info.param;
      return c.model + "_" + c.optimizer + "_acc" + std::to_string(c.accumulation) + (c.clip_norm > 0 ? "_clip" : "") +
             (c.float64 ? "_f64" : "_f32") + (c.bf16_grads ? "_bf16grads" : "");
    });

}  // namespace
}  // namespace dpt::train
