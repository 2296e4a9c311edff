// Note [Equivalence] (tests/mpi/ddp/equivalence_test.cc) on the GPU: K optimizer steps with the
// model, the gradient buckets and the NCCL all-reduce on this rank's GPU, the global batch
// reached by A micro-steps of gradient accumulation, must end with the parameters of one CPU
// process training on the whole global batch at once. float64: the same up to summation order
// (≤ 1e-10). float32: cuDNN's convolutions run in TF32 by default, as in PyTorch, so the bound
// is that precision's (≤ 1e-3); the measured difference is printed either way.
// Also: bf16 autocast (train.precision=bf16) trains on the GPU and ends near the fp32 run.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdio>

#include "comm/factory.h"
#include "ddp/grad_reducer.h"
#include "gpu/gpu_test_util.h"
#include "models/model.h"
#include "mpi/ddp/fixture.h"
#include "optim/optimizer.h"
#include "train/step.h"

namespace dpt::train {
namespace {

constexpr int64_t kGlobalBatch = 16;
constexpr int64_t kSteps = 4;

struct Case {
  std::string model;
  std::string optimizer;
  int64_t accumulation;
  bool float64 = false;
};

config::Config make_config(const Case& c, const std::string& precision = "fp32") {
  config::Config cfg = tiny_config(c.model, c.optimizer);
  cfg.set("train.precision", precision);
  return cfg;
}

TinyData make_data(bool float64) { return tiny_data(kSteps * kGlobalBatch, float64); }

// Trains on `device`; with `comm` through the gradient reducer in `accumulation` micro-steps
// per step, without it on the whole global batch per step. Returns the parameters on the CPU.
std::vector<at::Tensor> train(const Case& c, const TinyData& data, const at::Device& device, comm::Communicator* comm,
                              const std::string& precision = "fp32") {
  const config::Config cfg = make_config(c, precision);
  auto model = models::make_model(cfg, {{8, 8}, 4});
  if (c.float64) model->to(at::kDouble);
  model->to(device);
  auto [names, params] = named_params(*model);
  auto optimizer = optim::make_optimizer(cfg, params);
  const int64_t accumulation = comm ? c.accumulation : 1;
  const int world = comm ? comm->size() : 1;
  const int rank = comm ? comm->rank() : 0;
  const int64_t micro = kGlobalBatch / (world * accumulation);
  std::unique_ptr<ddp::GradReducer> reducer;
  if (comm != nullptr) reducer = std::make_unique<ddp::GradReducer>(names, params, *comm, small_buckets(1024, 4096));
  const at::Tensor x = data.x.to(device), y = data.y.to(device);
  const auto task = make_task(cfg, {}, SpecialTokens{});
  train_steps({*model, *task, optimizer.get(), reducer.get(), comm, params, accumulation, /*clip_norm=*/0}, kSteps,
              kGlobalBatch, world, rank, micro,
              [&](int64_t start, int64_t b) { return MicroBatch{x.narrow(0, start, b), y.narrow(0, start, b)}; });
  std::vector<at::Tensor> out;
  for (const auto& p : params) out.push_back(p.detach().cpu());
  return out;
}

class GpuEquivalence : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    DPT_REQUIRE_GPU(binding_);
    device_ = at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(binding_.index));
    comm_ = comm::make_communicator("nccl", MPI_COMM_WORLD, binding_);
  }
  runtime::DeviceBinding binding_;
  at::Device device_{at::kCPU};
  std::unique_ptr<comm::Communicator> comm_;
};

TEST_P(GpuEquivalence, MatchesOneCpuProcessWithTheWholeBatch) {
  const Case& c = GetParam();
  if (kGlobalBatch % (comm_->size() * c.accumulation) != 0) GTEST_SKIP() << "batch does not divide";
  const TinyData data = make_data(c.float64);
  const auto reference = train(c, data, at::kCPU, nullptr);
  const auto gpu = train(c, data, device_, comm_.get());
  ASSERT_EQ(reference.size(), gpu.size());
  const double worst = worst_relative_difference(reference, gpu);
  std::printf("[ measured ] %s %s acc%lld %s on %d rank(s): max relative difference %.3g\n", c.model.c_str(),
              c.optimizer.c_str(), static_cast<long long>(c.accumulation), c.float64 ? "f64" : "f32",
              comm_->size(), worst);
  EXPECT_LE(worst, c.float64 ? 1e-10 : 1e-3);
  // Training moved the parameters at all (a no-op would match trivially).
  const auto untrained = models::make_model(make_config(c), {{8, 8}, 4})->parameters();
  EXPECT_GT((untrained[0] - reference[0].to(untrained[0].scalar_type())).abs().max().item<double>(), 1e-4);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, GpuEquivalence,
    ::testing::Values(Case{"mlp", "sgd", 2}, Case{"mlp", "adamw", 4}, Case{"cnn", "sgd", 1}, Case{"cnn", "sgd", 2},
                      Case{"cnn", "sgd", 4}, Case{"mlp", "adamw", 2, true}, Case{"cnn", "sgd", 2, true},
                      Case{"cnn", "adamw", 4, true}),
    [](const auto& info) {
      return info.param.model + "_" + info.param.optimizer + "_acc" + std::to_string(info.param.accumulation) +
             (info.param.float64 ? "_f64" : "_f32");
    });

// train.precision=bf16: the forward pass runs in bfloat16 autocast, the parameters stay float32,
// and a few steps end close to the fp32 run (bf16 keeps ~3 significant digits).
TEST_F(GpuEquivalence, Bf16AutocastKeepsFloat32ParametersAndTracksFp32) {
  const Case c{"cnn", "sgd", 2};
  const TinyData data = make_data(false);
  const auto fp32 = train(c, data, device_, comm_.get(), "fp32");
  const auto bf16 = train(c, data, device_, comm_.get(), "bf16");
  for (const auto& p : bf16) EXPECT_EQ(p.scalar_type(), at::kFloat);
  const double worst = worst_relative_difference(fp32, bf16);
  std::printf("[ measured ] cnn sgd acc2 bf16 vs fp32: max relative difference %.3g\n", worst);
  EXPECT_GT(worst, 0.0) << "bf16 gave bit-identical parameters: autocast did not take effect";
  EXPECT_LE(worst, 5e-2);
}

}  // namespace
}  // namespace dpt::train
