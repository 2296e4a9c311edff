// dptrain bench allreduce: our Communicator's all-reduce next to a plain MPI_Allreduce on the
// same buffers, in the same run, interleaved iteration by iteration so that machine noise hits
// both alike. Figures follow nccl-tests: algbw = bytes / time, busbw = algbw · 2(n−1)/n.
#include <ATen/ATen.h>
#include <mpi.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "apps/command.h"
#include "apps/rank_context.h"
#include "comm/factory.h"
#include "common/error.h"
#include "common/stats.h"
#include "common/timer.h"
#include "runtime/mpi_check.h"

namespace po = boost::program_options;

namespace dpt::apps {
namespace {

struct Row {
  int64_t bytes;
  int iterations;
  double ours_s, mpi_s;
};

// Per-iteration times, maximum over ranks (the collective is as slow as its slowest rank).
std::vector<double> max_over_ranks(std::vector<double> times) {
  DPT_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, times.data(), static_cast<int>(times.size()), MPI_DOUBLE,
                              MPI_MAX, MPI_COMM_WORLD));
  return times;
}

Row measure(comm::Communicator& ours, MPI_Comm raw, int64_t bytes, double seconds_per_size) {
  const int64_t n = bytes / 4;
  at::Tensor a = at::zeros({n}, at::kFloat);  // zeros: repeated sums never overflow
  at::Tensor b = at::zeros({n}, at::kFloat);
  auto run_ours = [&] { ours.allreduce(a, comm::ReduceOp::kSum); };
  auto run_raw = [&] {
    DPT_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, b.data_ptr(), static_cast<int>(n), MPI_FLOAT, MPI_SUM, raw));
  };
  // Warm up both paths, then size the run from the slower one; every rank uses rank 0's count.
  Stopwatch warm;
  run_ours();
  run_raw();
  double per_iter = warm.seconds() / 2;
  DPT_CHECK_MPI(MPI_Bcast(&per_iter, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD));
  const int iterations = std::max(10, std::min(200, static_cast<int>(seconds_per_size / 2 / per_iter)));

  // Alternate which method goes first so that neither always finds the caches warm.
  std::vector<double> t_ours, t_raw;
  auto timed = [&](auto&& fn, std::vector<double>& out) {
    DPT_CHECK_MPI(MPI_Barrier(raw));
    Stopwatch watch;
    fn();
    out.push_back(watch.seconds());
  };
  for (int i = 0; i < iterations; ++i) {
    if (i % 2 == 0) {
      timed(run_ours, t_ours);
      timed(run_raw, t_raw);
    } else {
      timed(run_raw, t_raw);
      timed(run_ours, t_ours);
    }
  }
  return {bytes, iterations, median(max_over_ranks(t_ours)), median(max_over_ranks(t_raw))};
}

std::string format_bytes(int64_t bytes) {
  char text[32];
  if (bytes >= (1 << 20)) std::snprintf(text, sizeof text, "%lld MiB", static_cast<long long>(bytes >> 20));
  else std::snprintf(text, sizeof text, "%lld KiB", static_cast<long long>(bytes >> 10));
  return text;
}

std::string table(const std::vector<Row>& rows, int ranks) {
  const double bus_factor = ranks > 1 ? 2.0 * (ranks - 1) / ranks : 1.0;
  std::ostringstream out;
  out << "| size | iters | dptrain time (us) | algbw (GB/s) | busbw (GB/s) | MPI_Allreduce time (us) "
         "| algbw (GB/s) | busbw (GB/s) | busbw ratio |\n"
         "|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const Row& r : rows) {
    const double alg_ours = r.bytes / r.ours_s / 1e9, alg_mpi = r.bytes / r.mpi_s / 1e9;
    char line[256];
    std::snprintf(line, sizeof line, "| %s | %d | %.1f | %.3f | %.3f | %.1f | %.3f | %.3f | %.3f |\n",
                  format_bytes(r.bytes).c_str(), r.iterations, r.ours_s * 1e6, alg_ours,
                  alg_ours * bus_factor, r.mpi_s * 1e6, alg_mpi, alg_mpi * bus_factor, r.mpi_s / r.ours_s);
    out << line;
  }
  return out.str();
}

int run(const config::ParsedCommand& parsed) {
  const RankContext ctx = setup_rank(parsed.config);
  const auto& opt = parsed.local;
  const int64_t min_bytes = opt["min-bytes"].as<int64_t>();
  const int64_t max_bytes = opt["max-bytes"].as<int64_t>();
  const int factor = opt["factor"].as<int>();
  DPT_CHECK(min_bytes >= 4 && max_bytes >= min_bytes && factor >= 2, ConfigError,
            "bench allreduce: need 4 <= --min-bytes <= --max-bytes and --factor >= 2");

  auto ours = comm::make_communicator(parsed.config.get_string("comm.backend"), MPI_COMM_WORLD, ctx.device);
  DPT_CHECK(ours->backend() == "mpi", ConfigError,
            "bench allreduce compares against MPI_Allreduce on CPU buffers; use --comm.backend=mpi "
            "(the GPU check script measures NCCL)");
  MPI_Comm raw = MPI_COMM_NULL;
  DPT_CHECK_MPI(MPI_Comm_dup(MPI_COMM_WORLD, &raw));
  std::vector<Row> rows;
  for (int64_t bytes = min_bytes; bytes <= max_bytes; bytes *= factor) {
    rows.push_back(measure(*ours, raw, bytes, opt["seconds"].as<double>()));
    if (ctx.topology.world_rank == 0) {
      std::fprintf(stderr, "  %s done\n", format_bytes(bytes).c_str());
    }
  }
  DPT_CHECK_MPI(MPI_Comm_free(&raw));
  if (ctx.topology.world_rank == 0) {
    std::ostringstream report;
    report << "all-reduce of float32 (sum), " << ctx.topology.world_size << " ranks on "
           << ctx.topology.num_nodes << " node(s), backend " << ours->backend()
           << "; median over iterations of the slowest rank's time\n\n"
           << table(rows, ctx.topology.world_size);
    std::cout << report.str() << std::flush;
    if (opt.count("out")) {
      std::ofstream file(opt["out"].as<std::string>());
      DPT_CHECK(file.good(), ConfigError, "cannot write --out " << opt["out"].as<std::string>());
      file << report.str();
    }
  }
  return kExitOk;
}

config::CommandSpec spec() {
  config::CommandSpec s;
  s.name = "bench allreduce";
  s.summary = "all-reduce time and bandwidth, ours next to plain MPI_Allreduce, over a size sweep";
  s.sections = {"run", "comm"};
  s.local.add_options()
      ("min-bytes", po::value<int64_t>()->default_value(4096), "smallest message in bytes")
      ("max-bytes", po::value<int64_t>()->default_value(int64_t{256} << 20), "largest message in bytes")
      ("factor", po::value<int>()->default_value(4), "size step (multiply)")
      ("seconds", po::value<double>()->default_value(1.0), "target time per size for both methods")
      ("out", po::value<std::string>(), "also write the table (markdown) to this file");
  return s;
}

}  // namespace

Command bench_allreduce_command() { return {spec, run}; }

}  // namespace dpt::apps
