// train.init_from (train/init_from.h): a bert classifier starts from a masked-LM checkpoint --
// the encoder's tensors are loaded bit for bit on every rank, the classifier's pooler and head
// stay as initialized, the masked-LM head is reported unused -- and a checkpoint of other
// sizes is refused naming the tensor and both shapes.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <mpi.h>

#include <filesystem>

#include "checkpoint/io_comm.h"
#include "checkpoint/manager.h"
#include "checkpoint/resume.h"
#include "common/error.h"
#include "train/init_from.h"

namespace dpt::train {
namespace {

namespace fs = std::filesystem;

config::Config bert_config(const std::string& task, const std::string& hidden) {
  config::Config cfg;
  cfg.set("model.type", "bert");
  cfg.set("model.hidden", hidden);
  cfg.set("model.layers", "2");
  cfg.set("model.heads", "2");
  cfg.set("train.task", task);
  cfg.set("train.seed", task == "mlm" ? "1" : "2");  // different initial weights
  return cfg;
}

std::shared_ptr<models::Model> bert(const std::string& task, const std::string& hidden = "16") {
  return models::make_model(bert_config(task, hidden), {{10}, task == "mlm" ? 0 : 3, 60, 0});
}

// Writes `model`'s parameters as a checkpoint into a fresh shared directory; returns its path.
std::string save(models::Model& model, const std::string& dir) {
  checkpoint::State state;
  state.step = 1;
  for (const auto& item : model.named_parameters()) state.replicated.push_back({"model/" + item.key(), item.value().detach()});
  checkpoint::Manager manager(dir, checkpoint::Policy{});
  manager.save(state);
  return checkpoint::resume_candidates("auto", dir).front();
}

std::string shared_dir() {
  checkpoint::IoComm comm(MPI_COMM_WORLD);
  std::string path;
  if (comm.rank() == 0) {
    std::string pattern = (fs::temp_directory_path() / "dpt_init_from_XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  return comm.broadcast(path, 0);
}

TEST(InitFrom, ClassifierFromMaskedLmCheckpoint) {
  const std::string dir = shared_dir();
  auto pretrained = bert("mlm");
  {
    // As if trained: every tensor moved off its initial value (LayerNorms start at 1 and 0).
    at::NoGradGuard no_grad;
    at::Generator gen = at::detail::createCPUGenerator(5);
    for (auto& p : pretrained->parameters()) p.add_(at::randn(p.sizes(), gen) * 0.01);
  }
  const std::string path = save(*pretrained, dir + "/mlm");
  auto classifier = bert("classify");
  auto fresh = bert("classify");
  const InitReport report = init_from_checkpoint(path, *classifier);

  auto trained = pretrained->named_parameters();
  auto mine = classifier->named_parameters();
  auto initial = fresh->named_parameters();
  EXPECT_EQ(report.loaded.size(), 5u + 2 * 16);  // embeddings + two layers
  for (const auto& name : report.loaded) {
    EXPECT_TRUE(mine[name].equal(trained[name])) << name;
    EXPECT_FALSE(initial[name].equal(trained[name])) << name << ": loading shows";
  }
  EXPECT_EQ(report.fresh, (std::vector<std::string>{"bert.pooler.dense.bias", "bert.pooler.dense.weight",
                                                     "classifier.bias", "classifier.weight"}));
  for (const auto& name : report.fresh) EXPECT_TRUE(mine[name].equal(initial[name])) << name;
  EXPECT_EQ(report.unused.size(), 5u);  // cls.predictions: bias, transform dense (2) and LayerNorm (2)
  for (const auto& name : report.unused) EXPECT_EQ(name.rfind("cls.predictions.", 0), 0u) << name;
  const std::string line = describe(report);
  EXPECT_NE(line.find("loaded 37 tensors"), std::string::npos) << line;
  EXPECT_NE(line.find("classifier.weight"), std::string::npos) << line;

  // Other sizes: refused, naming the first mismatching tensor with both shapes.
  auto wider = bert("classify", "24");
  try {
    init_from_checkpoint(path, *wider);
    ADD_FAILURE() << "a checkpoint of hidden 16 loaded into hidden 24";
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("[16] float32 in the checkpoint but [24] float32"), std::string::npos) << what;
  }
  checkpoint::IoComm comm(MPI_COMM_WORLD);
  comm.barrier();
  if (comm.rank() == 0) fs::remove_all(dir);
}

}  // namespace
}  // namespace dpt::train
