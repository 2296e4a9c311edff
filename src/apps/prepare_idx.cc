// dptrain prepare idx: IDX images + labels (the MNIST family, gzip or plain) -> a sharded
// dataset split. The work is data::prepare_idx; this file maps the command line onto it.
#include <boost/program_options.hpp>
#include <iostream>

#include "apps/command.h"
#include "apps/prepare_options.h"
#include "common/error.h"
#include "data/prepare.h"

namespace po = boost::program_options;

namespace dpt::apps {
namespace {

int run(const config::ParsedCommand& parsed) {
  require_one_process("prepare idx");
  const auto& opt = parsed.local;
  for (const char* name : {"images", "labels", "out"}) {
    DPT_CHECK(opt.count(name), ConfigError, "dptrain prepare idx needs --" << name << "; run with --help");
  }
  data::PrepareIdxOptions o;
  o.images = opt["images"].as<std::string>();
  o.labels = opt["labels"].as<std::string>();
  o.out = opt["out"].as<std::string>();
  if (opt.count("class-names")) o.class_names = split_commas(opt["class-names"].as<std::string>());
  o.num_classes = opt["num-classes"].as<int64_t>();
  o.write = split_write_options(opt, "dptrain prepare idx");
  const data::Manifest m = data::prepare_idx(o);
  std::cout << "wrote " << o.out << ": " << m.total_samples << " samples, " << m.shards.size() << " shard(s), "
            << m.total_bytes() << " bytes; check it with 'dptrain inspect " << o.out << "'\n";
  return kExitOk;
}

config::CommandSpec spec() {
  config::CommandSpec s;
  s.name = "prepare idx";
  s.summary = "convert IDX images + labels (MNIST family, .gz or plain) into a sharded HDF5 split";
  s.local.add_options()
      ("images", po::value<std::string>(), "IDX images file [N, H, W] of uint8")
      ("labels", po::value<std::string>(), "IDX labels file [N] of uint8")
      ("out", po::value<std::string>(), "output split directory (must not exist unless --overwrite)")
      ("class-names", po::value<std::string>(), "comma-separated class names, label 0 first")
      ("num-classes", po::value<int64_t>()->default_value(0),
       "number of classes; 0 = the number of --class-names, else max label + 1");
  add_split_write_options(&s.local);
  return s;
}

}  // namespace

Command prepare_idx_command() { return {spec, run}; }

}  // namespace dpt::apps
