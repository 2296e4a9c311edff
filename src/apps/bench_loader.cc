// dptrain bench loader: the data loader's throughput per rank over whole epochs, next to a
// plain read() of the same shard files in the same run, and the loader again with the
// consumer's input normalization (Batch::input_on on the CPU, as a CPU training step does it;
// Note [Pixels stay bytes]). Rounds rotate the three methods so that machine noise hits all
// alike; the page cache is warm for all (a warm-up epoch runs first).
//
// Figures per rank, medians over rounds; the ratios are medians of the per-round ratios.
// "raw read() MB/s": every shard file read to its end into a 1 MiB buffer.
// "loader MB/s": the bytes of all samples of an epoch (every field, all ranks' shares) over the
// time this rank's loader takes to deliver its share — the rate at which the job moves through
// the dataset, comparable with reading the files once. "delivered samples/s": the rank's own
// samples (1/W of the epoch) per second. "loader + normalize MB/s": the same epoch rate when the
// consumer also turns every batch's input into normalized float32 on the CPU. The loader runs
// as in training: one Loader for all
// rounds, its data.workers threads prefetching data.prefetch micro-batches. "loader thread"
// columns sum the workers' time.
#include <mpi.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "apps/command.h"
#include "apps/rank_context.h"
#include "common/error.h"
#include "common/stats.h"
#include "common/timer.h"
#include "data/loader_bench.h"
#include "runtime/mpi_check.h"

namespace po = boost::program_options;

namespace dpt::apps {
namespace {

// One round of the three methods on one rank.
struct Round {
  double raw_mb_s = 0, loader_mb_s = 0, normalized_mb_s = 0, samples_s = 0, read_s = 0, collate_s = 0, epoch_s = 0;
};

// Medians over rounds for one rank; sent to rank 0 as a flat array of doubles. The ratios are
// medians of the per-round ratios: the machine's memory bandwidth drifts (a shared VM), and a
// ratio within a round compares methods run seconds apart.
struct RankFigures {
  double raw_mb_s, loader_mb_s, raw_ratio, normalized_mb_s, normalized_ratio, samples_s, read_s, collate_s, epoch_s;
};
constexpr int kFigures = sizeof(RankFigures) / sizeof(double);

Round measure_round(data::Loader& loader, const std::vector<std::string>& files, int r) {
  Round round;
  // Rotate which method goes first, so none always runs right after another.
  for (int k = 0; k < 3; ++k) {
    DPT_CHECK_MPI(MPI_Barrier(MPI_COMM_WORLD));
    const int method = (k + r) % 3;
    Stopwatch watch;
    if (method == 0) {
      const int64_t bytes = data::read_files_raw(files, size_t{1} << 20);
      round.raw_mb_s = static_cast<double>(bytes) / watch.seconds() / 1e6;
    } else if (method == 1) {
      const data::LoaderPass p = data::consume_epoch(loader, [](const data::Batch& b) { b.input_on(at::kCPU); });
      round.normalized_mb_s = static_cast<double>(p.epoch_bytes) / p.seconds / 1e6;
    } else {
      const data::LoaderPass p = data::consume_epoch(loader);
      round.loader_mb_s = static_cast<double>(p.epoch_bytes) / p.seconds / 1e6;
      round.samples_s = static_cast<double>(p.samples) / p.seconds;
      round.read_s = p.stats.read_seconds;
      round.collate_s = p.stats.collate_seconds;
      round.epoch_s = p.seconds;
    }
  }
  return round;
}

RankFigures measure(const data::LoaderOptions& options, const std::vector<std::string>& files, int rounds) {
  // One loader for the whole run, as in training; epoch 0 warms its buffers and the page cache.
  data::LoaderOptions o = options;
  o.mode = data::LoaderMode::kTrain;
  o.max_epochs = 2 * rounds + 1;  // two loader passes per round
  data::Loader loader(o);
  data::consume_epoch(loader);
  data::read_files_raw(files, size_t{1} << 20);
  std::vector<Round> all;
  for (int r = 0; r < rounds; ++r) all.push_back(measure_round(loader, files, r));
  auto med = [&](auto field) {
    std::vector<double> v;
    for (const Round& round : all) v.push_back(field(round));
    return median(v);
  };
  return {med([](const Round& x) { return x.raw_mb_s; }),
          med([](const Round& x) { return x.loader_mb_s; }),
          med([](const Round& x) { return x.loader_mb_s / x.raw_mb_s; }),
          med([](const Round& x) { return x.normalized_mb_s; }),
          med([](const Round& x) { return x.normalized_mb_s / x.raw_mb_s; }),
          med([](const Round& x) { return x.samples_s; }),
          med([](const Round& x) { return x.read_s; }),
          med([](const Round& x) { return x.collate_s; }),
          med([](const Round& x) { return x.epoch_s; })};
}

std::string table(const std::vector<RankFigures>& ranks) {
  std::ostringstream out;
  out << "| rank | raw read() MB/s | loader MB/s | loader / read() | loader + normalize MB/s | "
         "(loader + normalize) / read() | delivered samples/s | epoch s | loader thread: blocks s / collate s |\n"
         "|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (size_t r = 0; r < ranks.size(); ++r) {
    const RankFigures& f = ranks[r];
    char line[256];
    std::snprintf(line, sizeof line, "| %zu | %.0f | %.0f | %.2f | %.0f | %.2f | %.0f | %.4f | %.4f / %.4f |\n", r,
                  f.raw_mb_s, f.loader_mb_s, f.raw_ratio, f.normalized_mb_s, f.normalized_ratio,
                  f.samples_s, f.epoch_s, f.read_s, f.collate_s);
    out << line;
  }
  return out.str();
}

int run(const config::ParsedCommand& parsed) {
  const RankContext ctx = setup_rank(parsed.config);
  const auto& opt = parsed.local;
  const std::string dir = opt.count("dir") ? opt["dir"].as<std::string>() : parsed.config.get_string("data.train");
  DPT_CHECK(!dir.empty(), ConfigError, "bench loader needs a split: --dir DIR or --data.train=DIR");
  data::LoaderOptions options = data::loader_options_from_config(parsed.config, dir);
  options.geometry = {opt["global-batch"].as<int64_t>(), opt["micro-batch"].as<int64_t>(), ctx.topology.world_size,
                      "--global-batch, --micro-batch"};
  options.rank = ctx.topology.world_rank;
  const int rounds = opt["rounds"].as<int>();
  DPT_CHECK(rounds >= 1, ConfigError, "--rounds must be >= 1");

  const RankFigures mine = measure(options, data::shard_paths(dir), rounds);
  std::vector<RankFigures> all(static_cast<size_t>(ctx.topology.world_size));
  DPT_CHECK_MPI(MPI_Gather(&mine, kFigures, MPI_DOUBLE, all.data(), kFigures, MPI_DOUBLE, 0, MPI_COMM_WORLD));
  if (ctx.topology.world_rank != 0) return kExitOk;
  const data::Manifest m = data::read_manifest(dir);
  std::ostringstream report;
  report << "loader over " << dir << " (" << m.total_samples << " samples, " << m.shards.size() << " shards, "
         << m.total_bytes() / 1000000.0 << " MB), " << ctx.topology.world_size << " rank(s), global batch "
         << options.geometry.global_batch << ", micro-batch " << options.geometry.micro_batch << ", shuffle_block "
         << options.plan.shuffle_block << ", prefetch " << options.prefetch << "; median of " << rounds
         << " rounds per rank, page cache warm\n\n"
         << table(all);
  std::cout << report.str() << std::flush;
  if (opt.count("out")) {
    std::ofstream file(opt["out"].as<std::string>(), std::ios::app);
    DPT_CHECK(file.good(), ConfigError, "cannot write --out " << opt["out"].as<std::string>());
    file << report.str() << "\n";
  }
  return kExitOk;
}

config::CommandSpec spec() {
  config::CommandSpec s;
  s.name = "bench loader";
  s.summary = "data loader throughput per rank over whole epochs, next to plain read() of the same shards";
  s.sections = {"run", "data"};
  s.local.add_options()
      ("dir", po::value<std::string>(), "split directory (default: data.train)")
      ("global-batch", po::value<int64_t>()->default_value(256), "samples per step over all ranks")
      ("micro-batch", po::value<int64_t>()->default_value(64), "samples per rank per micro-step")
      ("rounds", po::value<int>()->default_value(5), "measured rounds: one epoch and both reference reads each")
      ("out", po::value<std::string>(), "also append the table (markdown) to this file");
  return s;
}

}  // namespace

Command bench_loader_command() { return {spec, run}; }

}  // namespace dpt::apps
