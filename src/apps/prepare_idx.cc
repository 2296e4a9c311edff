// dptrain prepare idx: IDX images + labels (the MNIST family, gzip or plain) -> a sharded
// dataset split. The work is data::prepare_idx; this file maps the command line onto it.
#include <mpi.h>

#include <boost/program_options.hpp>
#include <iostream>
#include <sstream>

#include "apps/command.h"
#include "common/error.h"
#include "data/prepare.h"

namespace po = boost::program_options;

namespace dpt::apps {
namespace {

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) items.push_back(item);
  return items;
}

int run(const config::ParsedCommand& parsed) {
  int world = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  DPT_CHECK(world == 1, ConfigError, "run 'dptrain prepare idx' as one process, not under mpirun -np " << world);
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
  o.write.shards = opt["shards"].as<int64_t>();
  o.write.shard_mb = opt["shard-mb"].as<double>();
  o.write.overwrite = opt.count("overwrite") > 0;
  o.write.shard.compress = opt.count("compress") > 0;
  o.write.shard.chunk_bytes = opt["chunk-kb"].as<int64_t>() * 1024;
  DPT_CHECK(o.write.shard.chunk_bytes > 0, ConfigError, "--chunk-kb must be > 0");
  o.write.created_by = "dptrain prepare idx";
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
      ("shards", po::value<int64_t>()->default_value(0), "number of shards; 0 = from --shard-mb")
      ("shard-mb", po::value<double>()->default_value(16.0), "target MiB per shard when --shards is 0")
      ("chunk-kb", po::value<int64_t>()->default_value(512), "target KiB per HDF5 chunk (whole samples)")
      ("compress", "deflate-compress the chunks (smaller files, slower loading)")
      ("class-names", po::value<std::string>(), "comma-separated class names, label 0 first")
      ("num-classes", po::value<int64_t>()->default_value(0),
       "number of classes; 0 = the number of --class-names, else max label + 1")
      ("overwrite", "replace an existing --out (only after the new split is complete)");
  return s;
}

}  // namespace

Command prepare_idx_command() { return {spec, run}; }

}  // namespace dpt::apps
