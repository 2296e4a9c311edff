// dptrain bench allreduce: our Communicator's all-reduce, blocking (runs on the calling thread)
// and async (runs on the communication thread, as the gradient reducer uses it), next to a
// plain MPI_Allreduce of the same size, in the same run, interleaved iteration by iteration so
// that machine noise hits all alike. Figures follow nccl-tests: algbw = bytes / time,
// busbw = algbw · 2(n−1)/n; ratio = MPI_Allreduce time / ours (1.0 = as fast).
#include <ATen/ATen.h>
#include <mpi.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <fstream>
#include <functional>
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

// Median times (slowest rank) of the three ways to all-reduce one buffer.
struct Row {
  int64_t bytes;
  int iterations;
  double mpi_s, blocking_s, async_s;
};

// Per-iteration times, maximum over ranks (the collective is as slow as its slowest rank).
std::vector<double> max_over_ranks(std::vector<double> times) {
  DPT_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, times.data(), static_cast<int>(times.size()), MPI_DOUBLE,
                              MPI_MAX, MPI_COMM_WORLD));
  return times;
}

Row measure(comm::Communicator& ours, MPI_Comm raw, int64_t bytes, double seconds_per_size) {
  const int64_t n = bytes / 4;
  // One buffer per method, zeros so that repeated sums never overflow.
  std::vector<at::Tensor> buffers = {at::zeros({n}), at::zeros({n}), at::zeros({n})};
  const std::vector<std::function<void()>> methods = {
      [&] {
        DPT_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, buffers[0].data_ptr(), static_cast<int>(n), MPI_FLOAT,
                                    MPI_SUM, raw));
      },
      [&] { ours.allreduce(buffers[1], comm::ReduceOp::kSum); },
      [&] { ours.allreduce_async(buffers[2], comm::ReduceOp::kSum)->wait(); },
  };
  // Warm up every method, then size the run from the warm-up; every rank uses rank 0's count.
  Stopwatch warm;
  for (const auto& m : methods) m();
  double per_iter = warm.seconds();
  DPT_CHECK_MPI(MPI_Bcast(&per_iter, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD));
  const int iterations = std::max(10, std::min(200, static_cast<int>(seconds_per_size / per_iter)));

  // Rotate which method goes first so that none always finds the caches warm.
  std::vector<std::vector<double>> times(methods.size());
  for (int i = 0; i < iterations; ++i) {
    for (size_t k = 0; k < methods.size(); ++k) {
      const size_t m = (k + static_cast<size_t>(i)) % methods.size();
      DPT_CHECK_MPI(MPI_Barrier(raw));
      Stopwatch watch;
      methods[m]();
      times[m].push_back(watch.seconds());
    }
  }
  return {bytes, iterations, median(max_over_ranks(times[0])), median(max_over_ranks(times[1])),
          median(max_over_ranks(times[2]))};
}

std::string format_bytes(int64_t bytes) {
  char text[32];
  if (bytes >= (1 << 20)) std::snprintf(text, sizeof text, "%lld MiB", static_cast<long long>(bytes >> 20));
  else std::snprintf(text, sizeof text, "%lld KiB", static_cast<long long>(bytes >> 10));
  return text;
}

std::string table(const std::vector<Row>& rows, int ranks) {
  const double bus_factor = ranks > 1 ? 2.0 * (ranks - 1) / ranks : 1.0;
  auto busbw = [&](int64_t bytes, double s) { return bytes / s / 1e9 * bus_factor; };
  std::ostringstream out;
  out << "| size | iters | MPI_Allreduce us | busbw GB/s | dptrain blocking us | busbw GB/s | ratio "
         "| dptrain async us | busbw GB/s | ratio |\n"
         "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const Row& r : rows) {
    char line[256];
    std::snprintf(line, sizeof line, "| %s | %d | %.1f | %.3f | %.1f | %.3f | %.3f | %.1f | %.3f | %.3f |\n",
                  format_bytes(r.bytes).c_str(), r.iterations, r.mpi_s * 1e6, busbw(r.bytes, r.mpi_s),
                  r.blocking_s * 1e6, busbw(r.bytes, r.blocking_s), r.mpi_s / r.blocking_s,
                  r.async_s * 1e6, busbw(r.bytes, r.async_s), r.mpi_s / r.async_s);
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
      ("seconds", po::value<double>()->default_value(1.0), "target time per size for all three methods")
      ("out", po::value<std::string>(), "also write the table (markdown) to this file");
  return s;
}

}  // namespace

Command bench_allreduce_command() { return {spec, run}; }

}  // namespace dpt::apps
