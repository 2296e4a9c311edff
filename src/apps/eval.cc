// dptrain eval --checkpoint F: evaluates a checkpoint's model on a dataset split, on any
// number of ranks. The model and the data settings come from the checkpoint's stored
// configuration; options given here (e.g. --data.test) override the latter. --model evaluates
// an int8 export (dptrain export --quantize int8) instead, on its dequantized weights.
#include <boost/program_options.hpp>
#include <cstdio>

#include "apps/checkpoint_model.h"
#include "apps/command.h"
#include "apps/int8_export.h"
#include "apps/rank_context.h"
#include "comm/factory.h"
#include "common/error.h"
#include "config/schema.h"
#include "data/manifest.h"
#include "train/evaluator.h"
#include "train/task.h"

namespace po = boost::program_options;

namespace dpt::apps {
namespace {

// The checkpoint's configuration with every [data], [eval], [run] and [comm] option the user
// set (a value other than the default) laid over it.
config::Config merged_config(const config::Config& stored, const config::Config& given) {
  config::Config out = stored;
  const config::Config defaults;
  for (const auto& spec : config::schema()) {
    const std::string section = spec.name.substr(0, spec.name.find('.'));
    if (section != "data" && section != "eval" && section != "run" && section != "comm") continue;
    if (given.get_string(spec.name) != defaults.get_string(spec.name)) {
      out.set(spec.name, given.get_string(spec.name), "command line");
    }
  }
  return out;
}

int run(const config::ParsedCommand& parsed) {
  const bool from_export = parsed.local.count("model") > 0;
  DPT_CHECK(from_export != (parsed.local.count("checkpoint") > 0), ConfigError,
            "usage: dptrain eval (--checkpoint <file.h5> | --model <int8 export>) [--data.test DIR]");
  const std::string path = parsed.local[from_export ? "model" : "checkpoint"].as<std::string>();
  const RankContext ctx = setup_rank(parsed.config);
  CheckpointModel loaded = from_export ? load_int8_export(path) : load_checkpoint_model(path);
  const config::Config config = merged_config(loaded.config, parsed.config);
  const std::string& test_dir = config.get_string("data.test");
  DPT_CHECK(!test_dir.empty(), ConfigError, "no split to evaluate: the checkpoint's config has no data.test; pass --data.test");
  auto comm =
      comm::make_communicator(config.get_string("comm.backend"), MPI_COMM_WORLD, ctx.device, guard_options(config));
  const at::Device device = ctx.device.cuda ? at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(ctx.device.index))
                                            : at::Device(at::kCPU);
  loaded.model->to(device);
  const data::Manifest test = data::read_manifest(test_dir);
  if (test.text) {  // Note [Vocabulary identity] in data/manifest.h
    data::check_same_vocab(*test.text, test_dir, "checkpoint " + path + " was trained on ids of the vocabulary",
                           loaded.info.vocab.path, loaded.info.vocab.hash,
                           "Evaluate it on a split prepared with that vocabulary (dptrain prepare text --vocab).");
  }
  const auto task = train::make_task(config, loaded.info.input, train::special_tokens(test));
  const train::EvalResult r = train::evaluate(*loaded.model, *task, test_dir, config, *comm, device);
  if (ctx.topology.world_rank == 0) {
    if (from_export) {
      std::printf("int8 export %s on %s\n", path.c_str(), test_dir.c_str());
    } else {
      std::printf("checkpoint %s (step %lld) on %s\n", path.c_str(), static_cast<long long>(loaded.manifest.step),
                  test_dir.c_str());
    }
    std::printf("eval: loss %.9g accuracy %.9g samples %lld\n", r.loss, r.accuracy, static_cast<long long>(r.samples));
    if (r.perplexity > 0) {
      std::printf("masked LM: %lld masked tokens, masked-token accuracy %.9g, perplexity %.9g\n",
                  static_cast<long long>(r.items), r.accuracy, r.perplexity);
    }
  }
  return kExitOk;
}

config::CommandSpec spec() {
  config::CommandSpec s;
  s.name = "eval";
  s.summary = "evaluate a checkpoint's model, or an int8 export, on a dataset split (default: its run's data.test)";
  s.sections = {"run", "comm", "data", "eval"};
  s.local.add_options()
      ("checkpoint", po::value<std::string>(), "checkpoint file (step_N.h5)")
      ("model", po::value<std::string>(), "an int8 export ('dptrain export --quantize int8') instead of a checkpoint");
  return s;
}

}  // namespace

Command eval_command() { return {spec, run}; }

}  // namespace dpt::apps
