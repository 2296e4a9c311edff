// dptrain train: data-parallel training of a model on a prepared dataset.
#include <cstdio>

#include "apps/command.h"
#include "apps/rank_context.h"
#include "apps/run_dir.h"
#include "comm/factory.h"
#include "common/log.h"
#include "train/trainer.h"

namespace dpt::apps {
namespace {

int run(const config::ParsedCommand& parsed) {
  const config::Config& config = parsed.config;
  const RankContext ctx = setup_rank(config);
  DPT_LOG(kInfo) << "resolved configuration:\n" << config.to_ini({"data", "model", "train", "optim", "ddp"});
  auto comm = comm::make_communicator(config.get_string("comm.backend"), MPI_COMM_WORLD, ctx.device);
  const at::Device device = ctx.device.cuda ? at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(ctx.device.index))
                                            : at::Device(at::kCPU);
  train::Trainer trainer(config, *comm, device);  // everything checked before the run dir exists
  const std::string run_dir = prepare_run_dir(config);
  const train::TrainSummary summary = trainer.run(run_dir);
  if (ctx.topology.world_rank == 0) {
    std::printf("trained %lld steps (%lld samples) in %.1f s: %.0f samples/s on %d rank(s)\n",
                static_cast<long long>(summary.steps), static_cast<long long>(summary.samples), summary.wall_s,
                summary.samples_per_s, comm->size());
    if (summary.evaluated) {
      std::printf("test accuracy %.4f, loss %.4f over %lld samples\n", summary.final_eval.accuracy,
                  summary.final_eval.loss, static_cast<long long>(summary.final_eval.samples));
    }
    std::printf("outputs in %s/\n", run_dir.c_str());
  }
  return kExitOk;
}

config::CommandSpec spec() {
  config::CommandSpec s;
  s.name = "train";
  s.summary = "train a model data-parallel on a prepared dataset (and evaluate it)";
  s.sections = {"run", "comm", "data", "model", "train", "optim", "ddp", "eval", "log"};
  return s;
}

}  // namespace

Command train_command() { return {spec, run}; }

}  // namespace dpt::apps
