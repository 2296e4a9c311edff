// Note [Equivalence] (equivalence_test.cc) for the bert model and both objectives: K optimizer
// steps on W ranks with micro-batch b must end with the parameters of one process training on
// the whole global batch. For mlm this checks Note [Loss normalization]: micro-batches and
// ranks hold different numbers of masked tokens, and the gradient must still be the mean over
// all masked tokens of the global batch (a mean of per-micro-batch means would fail here).
// Each micro-batch goes through the real Task::prepare (masking by sample id) from a
// data::Batch built as the loader would build it.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <mpi.h>

#include "comm/mpi/mpi_communicator.h"
#include "models/model.h"
#include "optim/optimizer.h"
#include "train/step.h"
#include "mpi/ddp/fixture.h"

namespace dpt::train {
namespace {

constexpr int64_t kGlobalBatch = 8, kSteps = 3, kLength = 12, kVocab = 120, kClasses = 3;

struct Case {
  std::string task;
  std::string optimizer;
  int64_t accumulation;
  bool float64 = false;
};

config::Config make_config(const Case& c) {
  config::Config cfg;
  cfg.set("model.type", "bert");
  cfg.set("model.hidden", "16");
  cfg.set("model.layers", "2");
  cfg.set("model.heads", "2");
  cfg.set("model.ffn", "24");
  cfg.set("model.dropout", "0");  // dropout draws differ per rank by design
  cfg.set("train.task", c.task);
  cfg.set("train.mlm_probability", "0.3");
  cfg.set("train.seed", "7");
  cfg.set("data.seed", "11");
  cfg.set("optim.name", c.optimizer);
  cfg.set("optim.lr", c.optimizer == "sgd" ? "0.1" : "0.01");
  return cfg;
}

// Samples of varying length: [CLS] tokens [SEP] [PAD]...; labels from the content.
struct Data {
  at::Tensor ids, mask, labels;
};

Data make_data() {
  at::Generator gen = at::detail::createCPUGenerator(99);
  const int64_t n = kSteps * kGlobalBatch;
  Data d{at::zeros({n, kLength}, at::kLong), at::zeros({n, kLength}, at::kLong), at::zeros({n}, at::kLong)};
  const at::Tensor lengths = at::randint(4, kLength + 1, {n}, gen);
  const at::Tensor tokens = at::randint(104, kVocab, {n, kLength}, gen);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t length = lengths[i].item<int64_t>();
    d.ids[i].narrow(0, 0, length).copy_(tokens[i].narrow(0, 0, length));
    d.ids[i][0] = 101;
    d.ids[i][length - 1] = 102;
    d.mask[i].narrow(0, 0, length).fill_(1);
    d.labels[i] = tokens[i][1].item<int64_t>() % kClasses;
  }
  return d;
}

// Rows [start, start + b) as the loader hands them out (sample id = row, epoch 0).
data::Batch batch_of(const Data& d, int64_t start, int64_t b) {
  data::Batch batch;
  batch.input = d.ids.narrow(0, start, b);
  batch.label = d.labels.narrow(0, start, b);
  batch.fields = {{"input_ids", batch.input}, {"attention_mask", d.mask.narrow(0, start, b)}, {"label", batch.label}};
  batch.mask = at::ones({b});
  batch.valid = b;
  for (int64_t i = 0; i < b; ++i) batch.sample_ids.push_back(start + i);
  return batch;
}

std::vector<at::Tensor> train(const Case& c, const Data& data, comm::Communicator* comm) {
  const config::Config cfg = make_config(c);
  const models::InputSpec input{{kLength}, c.task == "mlm" ? 0 : kClasses, kVocab, 0};
  auto model = models::make_model(cfg, input);
  if (c.float64) model->to(at::kDouble);
  const auto task = make_task(cfg, input, SpecialTokens{});
  auto [names, params] = named_params(*model);
  auto optimizer = optim::make_optimizer(cfg, params);
  const int world = comm ? comm->size() : 1;
  const int rank = comm ? comm->rank() : 0;
  const int64_t accumulation = comm ? c.accumulation : 1;
  const int64_t micro = kGlobalBatch / (world * accumulation);
  std::unique_ptr<ddp::GradReducer> reducer;
  if (comm != nullptr) reducer = std::make_unique<ddp::GradReducer>(names, params, *comm, small_buckets(2048, 8192));
  train_steps({*model, *task, optimizer.get(), reducer.get(), comm, params, accumulation, /*clip_norm=*/0}, kSteps,
              kGlobalBatch, world, rank, micro,
              [&](int64_t start, int64_t b) { return task->prepare(batch_of(data, start, b), at::kCPU); });
  return params;
}

class BertEquivalence : public ::testing::TestWithParam<Case> {};

TEST_P(BertEquivalence, MatchesOneProcessWithTheWholeBatch) {
  comm::MpiCommunicator comm(MPI_COMM_WORLD);
  if (kGlobalBatch % (comm.size() * GetParam().accumulation) != 0) GTEST_SKIP() << "batch does not divide";
  const Data data = make_data();
  const auto reference = train(GetParam(), data, nullptr);
  const auto distributed = train(GetParam(), data, &comm);
  ASSERT_EQ(reference.size(), distributed.size());
  // The floor 1e-3: the attention key biases get a zero gradient in exact arithmetic (softmax
  // ignores a constant per query), so they hold rounding noise only (~1e-17), not a scale.
  const double worst = worst_relative_difference(reference, distributed, 1e-3);
  EXPECT_LE(worst, GetParam().float64 ? 1e-10 : 2e-5) << "world " << comm.size() << " accumulation "
                                                      << GetParam().accumulation;
  const Case c = GetParam();
  const models::InputSpec input{{kLength}, c.task == "mlm" ? 0 : kClasses, kVocab, 0};
  const auto untrained = models::make_model(make_config(c), input)->parameters();
  EXPECT_GT((untrained[0] - reference[0].to(at::kFloat)).abs().max().item<double>(), 1e-5) << "training moved nothing";
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BertEquivalence,
    ::testing::Values(Case{"classify", "sgd", 1}, Case{"classify", "adamw", 2, true}, Case{"mlm", "sgd", 1},
                      Case{"mlm", "sgd", 2}, Case{"mlm", "adamw", 2, true}),
    [](const auto& info) {
      return info.param.task + "_" + info.param.optimizer + "_acc" + std::to_string(info.param.accumulation) +
             (info.param.float64 ? "_f64" : "_f32");
    });

}  // namespace
}  // namespace dpt::train
