// dptrain bench checkpoint: the collective checkpoint writer and reader next to a plain
// sequential write()+fsync / read() of the same bytes by one process, in the same run.
//
// Per round, the plain write and the checkpoint (or, with --compare-buffering, the checkpoint
// with and without MPI-IO aggregation) run back to back in an order that rotates every round;
// each first deletes the file the previous one wrote and sync()s, so none inherits another's
// dirty pages and all write into just-freed blocks (Note [Recycled blocks]):
//   plain write   rank 0 writes all the state's bytes in 8 MiB write() calls, then fsync
//   checkpoint    Manager::save, synchronous: every rank writes its share collectively through
//                 MPI-IO with CRC-32s, every rank fsyncs, then the commit (Note [Checkpoint
//                 commit]); "collective write+fsync" is the slowest rank's write + fsync part,
//                 "whole save" includes the commit
// then a plain file and a checkpoint of the state (written once at the start) are evicted from
// the page cache and read back:
//   plain read    rank 0 read()s the plain file
//   checkpoint read  every rank reads its share of every tensor, the shares are all-gathered
//                 (each rank ends with the whole state) and checksums verified
// Times are the slowest rank's; bandwidth = state bytes / median time. The ratios are medians
// of the per-round ratios (plain time / checkpoint time of the same round), which cancels
// much of the noise of a shared machine. "stall" is how long save() holds the caller:
// synchronous = the whole save; async = the host copy (Note [Async checkpoint writer]).
#include <ATen/ATen.h>
#include <fcntl.h>
#include <mpi.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "apps/command.h"
#include "apps/rank_context.h"
#include "checkpoint/commit.h"
#include "checkpoint/io_comm.h"
#include "checkpoint/manager.h"
#include "checkpoint/reader.h"
#include "common/error.h"
#include "common/stats.h"
#include "common/timer.h"
#include "runtime/mpi_check.h"

namespace po = boost::program_options;

namespace dpt::apps {
namespace {

constexpr int64_t kChunk = int64_t{8} << 20;

checkpoint::State synthetic_state(int64_t bytes, int tensors) {
  checkpoint::State state;
  const int64_t per = std::max<int64_t>(1, bytes / 4 / tensors);
  at::Generator gen = at::detail::createCPUGenerator(1234);
  for (int i = 0; i < tensors; ++i) {
    state.replicated.push_back({"model/layer" + std::to_string(i) + ".weight", at::rand({per}, gen)});
  }
  return state;
}

// Drops the file's pages from the page cache (they are clean after fsync), so that reads
// measure the storage, not memory.
void evict(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

double plain_write(const std::string& path, const checkpoint::State& state) {
  Stopwatch watch;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  DPT_CHECK(fd >= 0, ConfigError, "bench checkpoint: cannot create " << path);
  for (const auto& entry : state.replicated) {
    const char* p = static_cast<const char*>(entry.tensor.data_ptr());
    for (int64_t left = static_cast<int64_t>(entry.tensor.nbytes()); left > 0;) {
      const ssize_t n = ::write(fd, p, static_cast<size_t>(std::min(left, kChunk)));
      DPT_CHECK(n > 0, ConfigError, "bench checkpoint: write to " << path << " failed");
      p += n;
      left -= n;
    }
  }
  ::fsync(fd);
  ::close(fd);
  return watch.seconds();
}

double plain_read(const std::string& path) {
  Stopwatch watch;
  std::vector<char> buffer(static_cast<size_t>(kChunk));
  const int fd = ::open(path.c_str(), O_RDONLY);
  DPT_CHECK(fd >= 0, ConfigError, "bench checkpoint: cannot open " << path);
  while (::read(fd, buffer.data(), buffer.size()) > 0) {
  }
  ::close(fd);
  return watch.seconds();
}

// Time of `work` on the slowest rank, all ranks starting together.
double timed(checkpoint::IoComm& comm, const std::function<void()>& work) {
  comm.barrier();
  Stopwatch watch;
  work();
  double seconds = watch.seconds();
  DPT_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, &seconds, 1, MPI_DOUBLE, MPI_MAX, comm.get()));
  return seconds;
}

// Medians of one checkpoint variant's figures; the plain and read columns are shared.
struct Figures {
  std::string label;  // "" or "(no cb)"
  double plain_write_s, write_s, save_s, ratio, save_ratio, plain_read_s, read_s, sync_stall_s, async_stall_s;
};

// Removes `path` and flushes all dirty data, so that the next timed write starts from the same
// state of the page cache and the disk whichever method ran before (not timed).
void settle(const std::string& path, checkpoint::IoComm& comm) {
  if (comm.rank() == 0) std::filesystem::remove(path);
  ::sync();
  comm.barrier();
}

// One synchronous save, timed; returns {whole save, slowest rank's write + fsync}.
std::pair<double, double> timed_save(checkpoint::Manager& manager, const checkpoint::State& state,
                                     checkpoint::IoComm& comm, bool verbose) {
  const double save_s = timed(comm, [&] { manager.save(state); });
  const auto& t = manager.last_write_times();
  double durable = t.write_s + t.fsync_s;
  DPT_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, &durable, 1, MPI_DOUBLE, MPI_MAX, comm.get()));
  if (comm.rank() == 0 && verbose) {
    std::fprintf(stderr, "step %lld: write %.3f s, fsync %.3f s, commit %.3f s\n",
                 static_cast<long long>(state.step), t.write_s, t.fsync_s, t.commit_s);
  }
  return {save_s, durable};
}

// A checkpoint variant: a synchronous manager writing into its own directory, and its times.
struct Variant {
  std::string label;
  std::string dir;
  std::unique_ptr<checkpoint::Manager> manager;
  std::vector<double> write_s, save_s, ratio, save_ratio, stall;
};

// Note [Recycled blocks]: this machine's disk is virtual; a write into blocks the host has
// never backed is several times slower than one into blocks a deleted file just freed, and
// ext4 hands the freed blocks to the next file created. A bench that deleted each method's own
// previous file measured the block history, not the method (the variant that happened to write
// second always won, whatever it was). So every timed write here first deletes the file the
// previous timed write produced, whichever method wrote it: every method writes into the blocks
// its predecessor freed.
struct Chain {
  std::string last;  // the file the previous timed write produced
  // Deletes it, flushes, then times `write` (which produces `path`).
  double run(const std::string& path, checkpoint::IoComm& comm, const std::function<void()>& write) {
    if (!last.empty()) settle(last, comm);
    const double seconds = timed(comm, write);
    last = path;
    return seconds;
  }
};

// Per round: the plain write and one save per variant, in an order that rotates every round.
void write_round(int r, const std::string& plain, checkpoint::State& state, std::vector<Variant>& variants,
                 std::vector<double>& pw, Chain& chain, checkpoint::IoComm& comm, bool verbose) {
  const int methods = 1 + static_cast<int>(variants.size());
  double plain_s = 0;
  std::vector<std::pair<double, double>> saved(variants.size());
  for (int k = 0; k < methods; ++k) {
    const int m = (k + r) % methods;
    if (m == 0) {
      plain_s = chain.run(plain, comm, [&] { if (comm.rank() == 0) plain_write(plain, state); });
      continue;
    }
    Variant& v = variants[static_cast<size_t>(m - 1)];
    const std::string path = v.dir + "/" + checkpoint::step_file_name(state.step);
    chain.run(path, comm, [&] { saved[static_cast<size_t>(m - 1)] = timed_save(*v.manager, state, comm, verbose); });
    v.stall.push_back(v.manager->last_stall_s());
  }
  pw.push_back(plain_s);
  for (size_t i = 0; i < variants.size(); ++i) {
    variants[i].save_s.push_back(saved[i].first);
    variants[i].write_s.push_back(saved[i].second);
    variants[i].ratio.push_back(plain_s / saved[i].second);
    variants[i].save_ratio.push_back(plain_s / saved[i].first);
  }
}

// Reads of a plain file and a checkpoint of the same state, written once beforehand and
// evicted from the page cache before every read; alternating which goes first.
void read_round(int r, const std::string& plain, const std::string& checkpoint, std::vector<double>& pr,
                std::vector<double>& cr, checkpoint::IoComm& comm) {
  if (comm.rank() == 0) {
    evict(plain);
    evict(checkpoint);
  }
  for (int k = 0; k < 2; ++k) {
    if ((k + r) % 2 == 0) {
      pr.push_back(timed(comm, [&] { if (comm.rank() == 0) plain_read(plain); }));
    } else {
      cr.push_back(timed(comm, [&] {
        checkpoint::Reader reader(checkpoint, comm);
        reader.read_replicated();
      }));
    }
  }
}

std::vector<Figures> measure(const std::string& dir, checkpoint::State& state, int rounds, checkpoint::IoComm& comm,
                             bool verbose, const std::vector<bool>& buffering) {
  std::vector<double> pw, pr, cr, async_stall;
  std::vector<Variant> variants;
  checkpoint::Policy policy;
  policy.keep = 0;  // the bench removes old files itself, outside the timed part
  for (bool cb : buffering) {
    policy.collective_buffering = cb;
    const std::string sub = dir + (cb ? "/cb" : "/no_cb");
    variants.push_back({cb ? "" : "(no cb)", sub, std::make_unique<checkpoint::Manager>(sub, policy)});
  }
  // The files the reads use (not timed).
  const std::string read_plain = dir + "/read.bin";
  if (comm.rank() == 0) plain_write(read_plain, state);
  checkpoint::Manager reads(dir + "/read", policy);
  state.step = 0;
  reads.save(state);
  policy.collective_buffering = buffering.front();
  policy.async = true;
  checkpoint::Manager async(dir + "/async", policy);
  Chain chain;
  for (int r = 0; r < rounds; ++r) {
    state.step = r + 1;
    write_round(r, dir + "/plain.bin", state, variants, pw, chain, comm, verbose);
    read_round(r, read_plain, reads.last_committed(), pr, cr, comm);
    const std::string path = dir + "/async/" + checkpoint::step_file_name(state.step);
    async_stall.push_back(chain.run(path, comm, [&] { async.save(state); }));
    async.wait();
  }
  std::vector<Figures> out;
  for (const Variant& v : variants) {
    out.push_back({v.label, median(pw), median(v.write_s), median(v.save_s), median(v.ratio), median(v.save_ratio),
                   median(pr), median(cr), median(v.stall), median(async_stall)});
  }
  return out;
}

std::string row(int ranks, int64_t bytes, int tensors, const Figures& f) {
  auto mb_s = [&](double s) { return static_cast<double>(bytes) / s / 1e6; };
  char line[512];
  std::snprintf(line, sizeof line,
                "| %d%s | %.0f | %d | %.0f | %.0f | %.2f | %.0f | %.2f | %.0f | %.0f | %.3f | %.4f |\n", ranks,
                f.label.empty() ? "" : (" " + f.label).c_str(), static_cast<double>(bytes) / (1 << 20), tensors,
                mb_s(f.plain_write_s), mb_s(f.write_s), f.ratio, mb_s(f.save_s), f.save_ratio, mb_s(f.plain_read_s),
                mb_s(f.read_s), f.sync_stall_s, f.async_stall_s);
  return line;
}

const char* kHeader =
    "| ranks | state MiB | tensors | plain write+fsync MB/s | collective write+fsync MB/s | ratio "
    "| whole save MB/s | ratio | plain read MB/s | checkpoint read MB/s | sync stall s | async stall s |\n"
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";

int run(const config::ParsedCommand& parsed) {
  const RankContext ctx = setup_rank(parsed.config);
  const auto& opt = parsed.local;
  const int64_t bytes = opt["bytes"].as<int64_t>();
  const int tensors = opt["tensors"].as<int>();
  const int rounds = opt["rounds"].as<int>();
  DPT_CHECK(bytes >= 4 && tensors >= 1 && rounds >= 1, ConfigError,
            "bench checkpoint: need --bytes >= 4, --tensors >= 1, --rounds >= 1");
  checkpoint::IoComm comm(MPI_COMM_WORLD);
  const std::string dir = opt["dir"].as<std::string>() + "/bench_checkpoint_np" + std::to_string(comm.size());
  checkpoint::State state = synthetic_state(bytes, tensors);
  const int64_t real_bytes = [&] {
    int64_t sum = 0;
    for (const auto& e : state.replicated) sum += static_cast<int64_t>(e.tensor.nbytes());
    return sum;
  }();
  std::vector<bool> buffering = {opt.count("no-collective-buffering") == 0};
  if (opt.count("compare-buffering")) buffering = {true, false};
  const std::vector<Figures> figures = measure(dir, state, rounds, comm, opt.count("verbose") > 0, buffering);
  if (comm.rank() == 0) {
    std::filesystem::remove_all(dir);
    std::string lines;
    for (const Figures& f : figures) lines += row(comm.size(), real_bytes, tensors, f);
    std::cout << "checkpoint write/read, " << comm.size() << " rank(s) on " << ctx.topology.num_nodes
              << " node(s), median of " << rounds << " rounds, in " << opt["dir"].as<std::string>() << "\n\n"
              << kHeader << lines << std::flush;
    if (opt.count("out")) {
      const std::string out = opt["out"].as<std::string>();
      const bool fresh = !std::filesystem::exists(out);
      std::ofstream file(out, std::ios::app);
      DPT_CHECK(file.good(), ConfigError, "cannot write --out " << out);
      file << (fresh ? kHeader : "") << lines;
    }
  }
  comm.barrier();
  return kExitOk;
}

config::CommandSpec spec() {
  config::CommandSpec s;
  s.name = "bench checkpoint";
  s.summary = "checkpoint write/read bandwidth next to plain write()+fsync/read(); save() stall sync vs async";
  s.sections = {"run"};
  s.local.add_options()
      ("bytes", po::value<int64_t>()->default_value(int64_t{256} << 20), "bytes of (float32) state")
      ("tensors", po::value<int>()->default_value(8), "number of equal tensors the state is split into")
      ("rounds", po::value<int>()->default_value(3), "rounds (each: every method once); medians are reported")
      ("dir", po::value<std::string>()->default_value("/tmp"), "directory to write in (a scratch subfolder)")
      ("out", po::value<std::string>(), "append the table row (markdown) to this file")
      ("verbose", "print where each checkpoint write spent its time (rank 0)")
      ("no-collective-buffering", "checkpoint.collective_buffering=false: no MPI-IO aggregation; the row says (no cb)")
      ("compare-buffering", "measure both, interleaved round by round: a row with aggregation, a (no cb) row without");
  return s;
}

}  // namespace

Command bench_checkpoint_command() { return {spec, run}; }

}  // namespace dpt::apps
