// dptrain bench allreduce: our Communicator's all-reduce, blocking (runs on the calling thread)
// and async (runs on the communication thread, as the gradient reducer uses it), next to a
// plain MPI_Allreduce of the same size, in the same run, each of ours timed in pairs with
// MPI_Allreduce so that machine noise hits both alike. Figures follow nccl-tests: algbw =
// bytes / time, busbw = algbw · 2(n−1)/n; ratio = MPI_Allreduce time / ours (1.0 = as fast),
// the median of the per-pair ratios (Note [Paired all-reduce timing]): a paired ratio cancels
// the drift of a shared machine that medians of separate times keep.
// With a GPU backend (--comm.backend=nccl, or auto on GPUs) the buffers live on the rank's GPU
// and there is no MPI_Allreduce column (it would time host memory); each iteration ends with a
// device synchronization, so a time is one all-reduce's latency as the host sees it.
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
#include "runtime/device.h"
#include "runtime/mpi_check.h"

namespace po = boost::program_options;

namespace dpt::apps {
namespace {

struct Method {
  std::string name;
  std::function<void()> run;
};

// Median times (slowest rank) of each method on one buffer size.
struct Row {
  int64_t bytes;
  int iterations;
  std::vector<double> seconds;  // per method
  std::vector<double> ratios;   // per method: median of the paired MPI_Allreduce / method times
};

// Per-iteration times, maximum over ranks (the collective is as slow as its slowest rank).
std::vector<double> max_over_ranks(std::vector<double> times) {
  DPT_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, times.data(), static_cast<int>(times.size()), MPI_DOUBLE,
                              MPI_MAX, MPI_COMM_WORLD));
  return times;
}

// The methods for one size. CPU: raw MPI_Allreduce, ours blocking, ours async, and (when `bare`
// is given: ours has the watchdog or desync check) the backend's blocking form without them.
// GPU: ours blocking and async, each followed by a device synchronization.
std::vector<Method> methods_for(comm::Communicator& ours, comm::Communicator* bare, MPI_Comm raw,
                                const runtime::DeviceBinding& device, std::vector<at::Tensor>& buffers, int64_t n) {
  at::TensorOptions options = at::TensorOptions().dtype(at::kFloat);
  if (device.cuda) options = options.device(at::kCUDA, static_cast<c10::DeviceIndex>(device.index));
  // One buffer per method, zeros so that repeated sums never overflow.
  buffers = {at::zeros({n}, options), at::zeros({n}, options), at::zeros({n}, options), at::zeros({n}, options)};
  if (device.cuda) {
    return {{"dptrain blocking", [&ours, &buffers, device] {
               ours.allreduce(buffers[0], comm::ReduceOp::kSum);
               runtime::synchronize_device(device);
             }},
            {"dptrain async", [&ours, &buffers, device] {
               ours.allreduce_async(buffers[1], comm::ReduceOp::kSum)->wait();
               runtime::synchronize_device(device);
             }}};
  }
  std::vector<Method> methods = {
      {"MPI_Allreduce", [&buffers, raw, n] {
         DPT_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, buffers[0].data_ptr(), static_cast<int>(n), MPI_FLOAT, MPI_SUM,
                                     raw));
       }},
      {"dptrain blocking", [&ours, &buffers] { ours.allreduce(buffers[1], comm::ReduceOp::kSum); }},
      {"dptrain async", [&ours, &buffers] { ours.allreduce_async(buffers[2], comm::ReduceOp::kSum)->wait(); }}};
  if (bare != nullptr) {
    methods.push_back({"unguarded blocking", [bare, &buffers] { bare->allreduce(buffers[3], comm::ReduceOp::kSum); }});
  }
  return methods;
}

Row measure(const std::vector<Method>& methods, MPI_Comm raw, int64_t bytes, double seconds_per_size) {
  // Warm up every method, then size the run from the warm-up; every rank uses rank 0's count.
  Stopwatch warm;
  for (const auto& m : methods) m.run();
  double per_iter = warm.seconds();
  DPT_CHECK_MPI(MPI_Bcast(&per_iter, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD));
  const int iterations = std::max(10, std::min(200, static_cast<int>(seconds_per_size / per_iter)));

  // Note [Paired all-reduce timing]: each of our methods is timed in pairs with the first
  // method (raw MPI_Allreduce on CPU), alternating which of the two goes first, and the ratio is
  // the median of the per-pair ratios. Interleaving all methods in one loop let the async
  // method's thread hand-offs slow whatever ran next on an oversubscribed node (measured: the
  // blocking path at 0.92-0.94 x raw after async, 0.98-1.04 x without it in the loop).
  std::vector<std::vector<double>> times(methods.size());
  std::vector<double> ratios(methods.size(), 1.0);
  auto timed = [&](size_t m) {
    DPT_CHECK_MPI(MPI_Barrier(raw));
    Stopwatch watch;
    methods[m].run();
    return watch.seconds();
  };
  const size_t first = 0;  // GPU: our blocking method, and the ratio goes unreported
  for (size_t m = 1; m < methods.size(); ++m) {
    std::vector<double> base, ours;
    for (int i = 0; i < iterations; ++i) {
      if (i % 2 == 0) {
        base.push_back(timed(first));
        ours.push_back(timed(m));
      } else {
        ours.push_back(timed(m));
        base.push_back(timed(first));
      }
    }
    base = max_over_ranks(base);
    ours = max_over_ranks(ours);
    std::vector<double> paired(base.size());
    for (size_t i = 0; i < base.size(); ++i) paired[i] = base[i] / ours[i];
    ratios[m] = median(paired);
    times[first].insert(times[first].end(), base.begin(), base.end());
    times[m] = ours;
  }
  Row row{bytes, iterations, {}, ratios};
  for (const auto& t : times) row.seconds.push_back(median(t));
  return row;
}

std::string format_bytes(int64_t bytes) {
  char text[32];
  if (bytes >= (1 << 20)) std::snprintf(text, sizeof text, "%lld MiB", static_cast<long long>(bytes >> 20));
  else std::snprintf(text, sizeof text, "%lld KiB", static_cast<long long>(bytes >> 10));
  return text;
}

// Columns per method: time, busbw, and (CPU, after the first) the ratio to MPI_Allreduce.
std::string table(const std::vector<std::string>& names, const std::vector<Row>& rows, int ranks) {
  const double bus_factor = ranks > 1 ? 2.0 * (ranks - 1) / ranks : 1.0;
  auto busbw = [&](int64_t bytes, double s) { return bytes / s / 1e9 * bus_factor; };
  const bool ratios = names.front() == "MPI_Allreduce";
  std::ostringstream out;
  out << "| size | iters |";
  std::string rule = "|---:|---:|";
  for (size_t m = 0; m < names.size(); ++m) {
    out << " " << names[m] << " us | busbw GB/s |" << (ratios && m > 0 ? " ratio |" : "");
    rule += ratios && m > 0 ? "---:|---:|---:|" : "---:|---:|";
  }
  out << "\n" << rule << "\n";
  for (const Row& r : rows) {
    char cell[64];
    out << "| " << format_bytes(r.bytes) << " | " << r.iterations << " |";
    for (size_t m = 0; m < names.size(); ++m) {
      std::snprintf(cell, sizeof cell, " %.1f | %.3f |", r.seconds[m] * 1e6, busbw(r.bytes, r.seconds[m]));
      out << cell;
      if (ratios && m > 0) {
        std::snprintf(cell, sizeof cell, " %.3f |", r.ratios[m]);
        out << cell;
      }
    }
    out << "\n";
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

  const std::string& backend = parsed.config.get_string("comm.backend");
  auto ours = comm::make_communicator(backend, MPI_COMM_WORLD, ctx.device, guard_options(parsed.config));
  // The same backend without the watchdog and desync check: what they cost, paired in one run.
  std::unique_ptr<comm::Communicator> bare;
  if (dynamic_cast<comm::GuardedCommunicator*>(ours.get()) != nullptr) {
    bare = comm::make_communicator(backend, MPI_COMM_WORLD, ctx.device, comm::GuardOptions{0, false});
    if (dynamic_cast<comm::GuardedCommunicator*>(bare.get()) != nullptr) bare.reset();  // DPT_DEBUG_COLLECTIVES
  }
  const bool on_gpu = ours->backend() != "mpi";
  DPT_CHECK(!on_gpu || ctx.device.cuda, ConfigError,
            "bench allreduce: backend " << ours->backend() << " needs this rank bound to a GPU");
  MPI_Comm raw = MPI_COMM_NULL;
  DPT_CHECK_MPI(MPI_Comm_dup(MPI_COMM_WORLD, &raw));
  std::vector<Row> rows;
  std::vector<std::string> names;
  for (int64_t bytes = min_bytes; bytes <= max_bytes; bytes *= factor) {
    std::vector<at::Tensor> buffers;
    const std::vector<Method> methods = methods_for(*ours, bare.get(), raw, ctx.device, buffers, bytes / 4);
    names.clear();
    for (const auto& m : methods) names.push_back(m.name);
    rows.push_back(measure(methods, raw, bytes, opt["seconds"].as<double>()));
    if (ctx.topology.world_rank == 0) {
      std::fprintf(stderr, "  %s done\n", format_bytes(bytes).c_str());
    }
  }
  DPT_CHECK_MPI(MPI_Comm_free(&raw));
  if (ctx.topology.world_rank == 0) {
    std::ostringstream report;
    report << "all-reduce of float32 (sum), " << ctx.topology.world_size << " ranks on "
           << ctx.topology.num_nodes << " node(s), backend " << ours->backend() << " on "
           << ctx.device.str() << "; median over iterations of the slowest rank's time"
           << (on_gpu ? "" : "; ratio = median of the paired MPI_Allreduce / method times")
           << (on_gpu ? "" : ", ratio = median of the paired MPI_Allreduce / method times")
           << (on_gpu ? " (each ended by a device synchronization)" : "") << "\n\n"
           << table(names, rows, ctx.topology.world_size);
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
  s.summary = "all-reduce time and bandwidth over a size sweep: ours next to plain MPI_Allreduce (CPU), or "
              "on the GPU with --comm.backend=nccl";
  s.sections = {"run", "comm"};
  s.local.add_options()
      ("min-bytes", po::value<int64_t>()->default_value(4096), "smallest message in bytes")
      ("max-bytes", po::value<int64_t>()->default_value(int64_t{256} << 20), "largest message in bytes")
      ("factor", po::value<int>()->default_value(4), "size step (multiply)")
      ("seconds", po::value<double>()->default_value(1.0), "target time per size for all methods")
      ("out", po::value<std::string>(), "also write the table (markdown) to this file");
  return s;
}

}  // namespace

Command bench_allreduce_command() { return {spec, run}; }

}  // namespace dpt::apps
