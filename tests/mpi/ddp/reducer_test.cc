// GradReducer details: bucket assignment, hook order, unused parameters, bf16 reduction.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <mpi.h>
#include <torch/nn/modules/linear.h>

#include "comm/mpi/mpi_communicator.h"
#include "common/error.h"
#include "ddp/buckets.h"
#include "ddp/grad_reducer.h"
#include "ddp/replica_sync.h"

namespace dpt::ddp {
namespace {

std::vector<at::Tensor> tensors_of_bytes(const std::vector<int64_t>& bytes) {
  std::vector<at::Tensor> out;
  for (int64_t b : bytes) out.push_back(at::zeros({b / 4}));
  return out;
}

TEST(Buckets, ReverseOrderFirstBucketSmallCapsRespected) {
  // Parameters (registration order) of 400, 400, 400, 2000, 100 bytes; first cap 500, cap 1000.
  const auto params = tensors_of_bytes({400, 400, 400, 2000, 100});
  const auto buckets = assign_buckets(params, 500, 1000);
  ASSERT_EQ(buckets.size(), 4u);
  EXPECT_EQ(buckets[0], (std::vector<size_t>{4}));     // 100 B; 2000 B does not fit in 500
  EXPECT_EQ(buckets[1], (std::vector<size_t>{3}));     // oversized: a bucket of its own
  EXPECT_EQ(buckets[2], (std::vector<size_t>{2, 1}));  // 800 B ≤ 1000
  EXPECT_EQ(buckets[3], (std::vector<size_t>{0}));
}

TEST(Buckets, EveryParameterOnceAndDtypesNotMixed) {
  std::vector<at::Tensor> params = {at::zeros({10}), at::zeros({10}, at::kDouble), at::zeros({10}),
                                    at::zeros({10}, at::kDouble)};
  const auto buckets = assign_buckets(params, 1 << 20, 1 << 20);
  std::vector<int> seen(params.size(), 0);
  for (const auto& b : buckets) {
    for (size_t i : b) {
      ++seen[i];
      EXPECT_EQ(params[i].scalar_type(), params[b.front()].scalar_type());
    }
  }
  for (int s : seen) EXPECT_EQ(s, 1);
}

// Three linear layers applied in an unusual order (2, 0, 1), plus one that forward never uses.
struct OddModel : torch::nn::Module {
  OddModel() {
    torch::manual_seed(3);
    for (int i = 0; i < 4; ++i) layers.push_back(register_module("l" + std::to_string(i), torch::nn::Linear(6, 6)));
  }
  at::Tensor forward(const at::Tensor& x) {
    return layers[1]->forward(torch::relu(layers[0]->forward(torch::relu(layers[2]->forward(x))))).sum();
  }
  std::vector<torch::nn::Linear> layers;
};

struct Reduced {
  std::vector<std::string> names;
  std::vector<at::Tensor> params;
};

Reduced params_of(OddModel& m) {
  Reduced r;
  for (const auto& p : m.named_parameters()) {
    r.names.push_back(p.key());
    r.params.push_back(p.value());
  }
  return r;
}

TEST(Reducer, UnusualOrderAndUnusedParametersGiveTheAverage) {
  comm::MpiCommunicator comm(MPI_COMM_WORLD);
  OddModel model;
  auto [names, params] = params_of(model);
  ReducerOptions options;
  options.first_bucket_bytes = 64;
  options.bucket_bytes = 200;  // one or two tensors per bucket
  GradReducer reducer(names, params, comm, options);
  ASSERT_GT(reducer.buckets().size(), 3u);
  // Rank r's input: (r + 1) × ones; reference: the mean over ranks of each rank's gradient.
  std::vector<at::Tensor> expected(params.size());
  for (int r = 0; r < comm.size(); ++r) {
    OddModel ref;
    ref.forward(at::full({2, 6}, r + 1.0f)).backward();
    auto rp = ref.parameters();
    for (size_t i = 0; i < rp.size(); ++i) {
      at::Tensor g = rp[i].grad().defined() ? rp[i].grad() : at::zeros_like(rp[i]);
      expected[i] = expected[i].defined() ? expected[i] + g : g.clone();
    }
  }
  reducer.prepare_backward(true);
  model.forward(at::full({2, 6}, comm.rank() + 1.0f)).backward();
  reducer.finalize();
  for (size_t i = 0; i < params.size(); ++i) {
    ASSERT_TRUE(params[i].grad().defined()) << names[i];
    EXPECT_TRUE(at::allclose(params[i].grad(), expected[i] / comm.size(), 1e-5, 1e-6)) << names[i];
  }
  // The unused layer l3 got zeros.
  EXPECT_EQ(params[6].grad().abs().sum().item<float>(), 0.0f) << names[6];
}

TEST(Reducer, AccumulationCommunicatesOnlyOnTheLastMicroStep) {
  comm::MpiCommunicator comm(MPI_COMM_WORLD);
  OddModel model;
  auto [names, params] = params_of(model);
  GradReducer reducer(names, params, comm, {});
  reducer.prepare_backward(false);
  model.forward(at::full({2, 6}, 1.0f)).backward();
  // Not synchronized yet: every rank holds its own local gradient.
  const at::Tensor local = params[0].grad().clone();
  reducer.prepare_backward(true);
  model.forward(at::full({2, 6}, comm.rank() + 1.0f)).backward();
  reducer.finalize();
  // Expected: mean over ranks of (grad at input 1 + grad at input r+1).
  at::Tensor sum = at::zeros_like(local);
  for (int r = 0; r < comm.size(); ++r) {
    OddModel ref;
    ref.forward(at::full({2, 6}, 1.0f)).backward();
    ref.forward(at::full({2, 6}, r + 1.0f)).backward();
    sum += ref.parameters()[0].grad();
  }
  EXPECT_TRUE(at::allclose(params[0].grad(), sum / comm.size(), 1e-5, 1e-6));
}

TEST(Reducer, Bf16ReductionStaysCloseToFp32) {
  comm::MpiCommunicator comm(MPI_COMM_WORLD);
  OddModel a, b;
  auto pa = params_of(a), pb = params_of(b);
  GradReducer fp32(pa.names, pa.params, comm, {});
  ReducerOptions half;
  half.grad_dtype = at::kBFloat16;
  GradReducer bf16(pb.names, pb.params, comm, half);
  for (auto [model, reducer] : {std::make_pair(&a, &fp32), std::make_pair(&b, &bf16)}) {
    reducer->prepare_backward(true);
    model->forward(at::full({2, 6}, comm.rank() + 0.37f)).backward();
    reducer->finalize();
  }
  for (size_t i = 0; i < pa.params.size(); ++i) {
    EXPECT_EQ(pb.params[i].grad().scalar_type(), at::kFloat);
    // bf16 keeps 8 bits of mantissa: relative error per element ≲ 2^-8 per rounding.
    EXPECT_TRUE(at::allclose(pb.params[i].grad(), pa.params[i].grad(), 2e-2, 1e-3)) << pa.names[i];
  }
}

// Note [Rank flags]: every rank learns which ranks raised their flag, over two steps, and the
// gradients are averaged as without flags.
TEST(Reducer, RankFlagsRideAlongTheLastBucket) {
  comm::MpiCommunicator comm(MPI_COMM_WORLD);
  OddModel a, b;
  auto pa = params_of(a), pb = params_of(b);
  GradReducer plain(pa.names, pa.params, comm, {});
  ReducerOptions options;
  options.rank_flags = true;
  GradReducer flagged(pb.names, pb.params, comm, options);
  ASSERT_TRUE(flagged.has_rank_flags());
  const int last = comm.size() - 1;
  for (int step = 0; step < 2; ++step) {
    for (auto [model, reducer] : {std::make_pair(&a, &plain), std::make_pair(&b, &flagged)}) {
      reducer->prepare_backward(true);
      const at::Tensor loss = model->forward(at::full({2, 6}, comm.rank() + 1.0f));
      // Step 0: the last rank raises its flag; step 1: nobody does (set only by rank 0, to 0).
      if (reducer == &flagged && (step == 0 ? comm.rank() == last : comm.rank() == 0)) {
        reducer->set_rank_flag(at::full({1}, step == 0 ? 1.0f : 0.0f));
      }
      loss.backward();
      reducer->finalize();
    }
    EXPECT_EQ(flagged.flagged_ranks(), step == 0 ? std::vector<int>{last} : std::vector<int>{}) << "step " << step;
    for (size_t i = 0; i < pa.params.size(); ++i) {
      EXPECT_TRUE(at::allclose(pb.params[i].grad(), pa.params[i].grad(), 1e-6, 1e-7)) << pa.names[i];
      pa.params[i].mutable_grad().reset();
      pb.params[i].mutable_grad().reset();
    }
  }
}

TEST(ReplicaSync, BroadcastMakesEveryRankHoldRankZerosValues) {
  comm::MpiCommunicator comm(MPI_COMM_WORLD);
  at::Tensor w = at::full({3, 4}, static_cast<float>(comm.rank() + 5));
  at::Tensor steps = at::full({2}, static_cast<int64_t>(comm.rank() + 1), at::kLong);
  broadcast_from_root({w, steps}, comm);
  EXPECT_TRUE(at::equal(w, at::full({3, 4}, 5.0f)));
  EXPECT_TRUE(at::equal(steps, at::full({2}, 1, at::kLong)));
}

TEST(ReplicaSync, DifferentModelsFailNamingRankAndTensor) {
  comm::MpiCommunicator comm(MPI_COMM_WORLD);
  const int64_t width = comm.rank() == 1 ? 32 : 16;  // rank 1 built a different model
  std::vector<NamedTensor> tensors = {{"fc0.weight", at::zeros({width, 8})}, {"fc0.bias", at::zeros({width})}};
  if (comm.size() == 1) {
    EXPECT_NO_THROW(verify_replicas(tensors, comm));
    return;
  }
  try {
    verify_replicas(tensors, comm);
    FAIL() << "no mismatch reported";
  } catch (const CommError& e) {
    const std::string what = e.what();
    if (comm.rank() == 1) {
      EXPECT_NE(what.find("rank 1 does not match rank 0"), std::string::npos) << what;
      EXPECT_NE(what.find("fc0.weight: [16, 8] Float"), std::string::npos) << what;
      EXPECT_NE(what.find("fc0.weight: [32, 8] Float"), std::string::npos) << what;
    } else {
      EXPECT_NE(what.find("rank(s) 1 do not match rank 0"), std::string::npos) << what;
    }
  }
}

}  // namespace
}  // namespace dpt::ddp
