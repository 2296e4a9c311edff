// dptrain train: data-parallel training of a model on a prepared dataset; --resume continues
// from a checkpoint (docs/checkpoint.md).
#include <boost/program_options.hpp>
#include <cstdio>

#include "apps/command.h"
#include "apps/rank_context.h"
#include "apps/run_dir.h"
#include "comm/factory.h"
#include "comm/stop_agreement.h"
#include "common/log.h"
#include "metrics/timeline.h"
#include "runtime/signals.h"
#include "train/trainer.h"

namespace po = boost::program_options;

namespace dpt::apps {
namespace {

int run(const config::ParsedCommand& parsed) {
  const config::Config& config = parsed.config;
  // Stop signals only set a flag (runtime/signals.h), from here on, so that one arriving during
  // the start-up below does not kill the rank either.
  const runtime::StopSignalHandler stop_signals(runtime::parse_stop_signals(config.get_string("run.stop_signals")));
  const RankContext ctx = setup_rank(config);
  DPT_LOG(kInfo) << "resolved configuration:\n" << config.to_ini({"data", "model", "train", "optim", "ddp"});
  auto comm =
      comm::make_communicator(config.get_string("comm.backend"), MPI_COMM_WORLD, ctx.device, guard_options(config));
  const at::Device device = ctx.device.cuda ? at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(ctx.device.index))
                                            : at::Device(at::kCPU);
  train::Trainer trainer(config, *comm, device);  // everything checked before the run dir exists
  // At every step boundary: did any rank get a stop signal? (one 4-byte all-reduce, Note in
  // comm/stop_agreement.h); then the trainer checkpoints and ends, and we exit with 75.
  trainer.set_stop_check([&comm, device] { return comm::stop_requested_anywhere(*comm, device); });
  // Resuming reads and checks the checkpoint before the run directory exists, so that a
  // checkpoint that cannot be used leaves nothing behind.
  const std::string run_dir = run_dir_path(config);
  if (parsed.local.count("resume")) {
    trainer.resume(parsed.local["resume"].as<std::string>(), train::checkpoint_dir(config, run_dir));
  }
  prepare_run_dir(config);
  if (parsed.local.count("stop-after")) trainer.stop_after(parsed.local["stop-after"].as<int64_t>());
  std::unique_ptr<metrics::Timeline> timeline;
  if (config.get_bool("log.timeline")) {
    comm->barrier();  // start every rank's clock together
    timeline = std::make_unique<metrics::Timeline>();
  }
  const train::TrainSummary summary = trainer.run(run_dir);
  if (timeline) timeline->write(run_dir + "/timeline.json", *comm);
  if (ctx.topology.world_rank == 0) {
    std::printf("trained %lld steps (%lld samples) in %.1f s: %.0f samples/s on %d rank(s)\n",
                static_cast<long long>(summary.steps - summary.start_step),
                static_cast<long long>((summary.steps - summary.start_step) * config.get_int("train.global_batch")),
                summary.wall_s, summary.samples_per_s, comm->size());
    if (summary.start_step > 0) {
      std::printf("resumed at step %lld, now at step %lld\n", static_cast<long long>(summary.start_step),
                  static_cast<long long>(summary.steps));
    }
    if (!summary.completed) {
      std::printf("stopped after step %lld as asked; continue with --resume auto\n",
                  static_cast<long long>(summary.steps));
    }
    if (summary.evaluated) {
      std::printf("test accuracy %.4f, loss %.4f over %lld samples\n", summary.final_eval.accuracy,
                  summary.final_eval.loss, static_cast<long long>(summary.final_eval.samples));
    }
    std::printf("outputs in %s/\n", run_dir.c_str());
  }
  return summary.stop_requested ? kExitStopped : kExitOk;
}

config::CommandSpec spec() {
  config::CommandSpec s;
  s.name = "train";
  s.summary = "train a model data-parallel on a prepared dataset (and evaluate it)";
  s.sections = {"run", "comm", "data", "model", "train", "optim", "ddp", "eval", "checkpoint", "log", "prune"};
  s.local.add_options()
      ("resume", po::value<std::string>(),
       "continue from a checkpoint: 'auto' (the run's latest, if any, else start fresh), a checkpoint file, or a "
       "checkpoint/run directory")
      ("stop-after", po::value<int64_t>(), "stop after this many completed steps, with a checkpoint (as if preempted)");
  return s;
}

}  // namespace

Command train_command() { return {spec, run}; }

}  // namespace dpt::apps
