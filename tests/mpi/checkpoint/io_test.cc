// The collective writer and reader under mpiexec: every rank writes its share, any number of
// ranks reads it back exactly, checksums catch damage, the manager commits and prunes.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <mpi.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "checkpoint/commit.h"
#include "checkpoint/io_comm.h"
#include "checkpoint/manager.h"
#include "checkpoint/reader.h"
#include "checkpoint/resume.h"
#include "checkpoint/writer.h"
#include "data/h5.h"

namespace dpt::checkpoint {
namespace {

namespace fs = std::filesystem;

// A directory shared by all ranks (rank 0 creates and removes it).
class SharedDir {
 public:
  SharedDir() {
    IoComm comm(MPI_COMM_WORLD);
    std::string path;
    if (comm.rank() == 0) {
      std::string pattern = (fs::temp_directory_path() / "dpt_ckpt_test_XXXXXX").string();
      path = ::mkdtemp(pattern.data());
    }
    path_ = comm.broadcast(path, 0);
  }
  ~SharedDir() {
    IoComm comm(MPI_COMM_WORLD);
    comm.barrier();
    if (comm.rank() == 0) fs::remove_all(path_);
  }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

// Tensors of several dtypes and shapes, including scalars, an empty one and ones with fewer
// elements than ranks; values depend on `seed` only (identical on every rank).
State sample_state(int64_t step, int seed) {
  State s;
  s.step = step;
  s.config_text = "[train]\nsteps = 7\n";
  s.extra.set("note", "test");
  at::Generator gen = at::detail::createCPUGenerator(static_cast<uint64_t>(seed));
  s.replicated = {
      {"model/big.weight", at::randn({300, 1000}, gen)},   // 1.2 MB: split at 64 KiB boundaries
      {"model/small.bias", at::randn({3}, gen)},           // fewer elements than 4 ranks
      {"model/conv.weight", at::randn({4, 3, 3, 3}, gen)},
      {"buffers/count", at::arange(10, at::kLong)},
      {"optimizer/big.weight/momentum_buffer", at::randn({300, 1000}, gen).to(at::kDouble)},
      {"data/epoch", at::scalar_tensor(int64_t{2}, at::kLong)},
      {"empty/thing", at::empty({0, 5})},
      {"half/h", at::randn({17}, gen).to(at::kHalf)},
      {"flags/b", at::randint(0, 2, {9}, gen).to(at::kBool)},
  };
  s.rank_state = at::full({100 + world_rank()}, static_cast<uint8_t>(world_rank() + 1), at::kByte);
  return s;
}

void expect_same(const std::vector<TensorEntry>& got, const State& want) {
  ASSERT_EQ(got.size(), want.replicated.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].name, want.replicated[i].name);
    EXPECT_EQ(got[i].tensor.scalar_type(), want.replicated[i].tensor.scalar_type()) << got[i].name;
    EXPECT_EQ(got[i].tensor.sizes(), want.replicated[i].tensor.sizes()) << got[i].name;
    EXPECT_TRUE(at::equal(got[i].tensor, want.replicated[i].tensor)) << got[i].name;
  }
}

TEST(CheckpointIo, RoundTripOnTheWritingRanks) {
  SharedDir dir;
  IoComm comm(MPI_COMM_WORLD);
  const State state = sample_state(7, 1);
  const Manifest written = write_file(dir / "a.h5", state, comm);
  EXPECT_EQ(written.world_size, comm.size());
  Reader reader(dir / "a.h5", comm);
  const Manifest& m = reader.manifest();
  EXPECT_EQ(m.step, 7);
  EXPECT_EQ(m.world_size, comm.size());
  EXPECT_EQ(m.config_text, state.config_text);
  EXPECT_EQ(m.extra.find("note")->as_string(), "test");
  EXPECT_EQ(m.tensors.size(), state.replicated.size() + static_cast<size_t>(comm.size()));
  for (size_t i = 0; i < m.tensors.size(); ++i) EXPECT_EQ(m.tensors[i].crc32, written.tensors[i].crc32);
  expect_same(reader.read_replicated(), state);
  const at::Tensor mine = reader.read_rank_state();
  ASSERT_TRUE(mine.defined());
  EXPECT_TRUE(at::equal(mine, state.rank_state));
}

TEST(CheckpointIo, WithCollectiveBufferingTheFileIsTheSame) {
  SharedDir dir;
  IoComm comm(MPI_COMM_WORLD);
  const State state = sample_state(7, 5);
  const Manifest plain = write_file(dir / "a.h5", state, comm, /*collective_buffering=*/false);
  const Manifest buffered = write_file(dir / "b.h5", state, comm, /*collective_buffering=*/true);
  for (size_t i = 0; i < plain.tensors.size(); ++i) EXPECT_EQ(plain.tensors[i].crc32, buffered.tensors[i].crc32);
  Reader reader(dir / "b.h5", comm);
  expect_same(reader.read_replicated(), state);
}

TEST(CheckpointIo, EveryNumberOfRanksReadsItBack) {
  SharedDir dir;
  IoComm world(MPI_COMM_WORLD);
  const State state = sample_state(3, 2);
  write_file(dir / "a.h5", state, world);
  // Read with the first k ranks for every k (elastic resume on fewer ranks).
  for (int k = 1; k <= world.size(); ++k) {
    MPI_Comm sub = MPI_COMM_NULL;
    MPI_Comm_split(MPI_COMM_WORLD, world.rank() < k ? 0 : MPI_UNDEFINED, world.rank(), &sub);
    if (sub == MPI_COMM_NULL) continue;
    {
      IoComm comm(sub);
      Reader reader(dir / "a.h5", comm);
      expect_same(reader.read_replicated(), state);
      const at::Tensor mine = reader.read_rank_state();
      EXPECT_TRUE(mine.defined() && at::equal(mine, state.rank_state)) << "rank state of rank " << comm.rank();
    }
    MPI_Comm_free(&sub);
  }
}

TEST(CheckpointIo, WrittenOnOneRankReadOnAll) {
  SharedDir dir;
  IoComm world(MPI_COMM_WORLD);
  const State state = sample_state(5, 3);
  if (world.rank() == 0) {
    IoComm self(MPI_COMM_SELF);
    write_file(dir / "one.h5", state, self);
  }
  world.barrier();
  Reader reader(dir / "one.h5", world);
  EXPECT_EQ(reader.manifest().world_size, 1);
  expect_same(reader.read_replicated(), state);
  const at::Tensor mine = reader.read_rank_state();
  EXPECT_EQ(mine.defined(), world.rank() == 0);  // only rank 0 had one
}

// Flips one byte inside dataset `name` of `path` (rank 0 only, serial HDF5 to find it).
void flip_byte(const std::string& path, const std::string& name) {
  haddr_t offset = 0;
  {
    data::H5Id file = data::open_file_read_only(path);
    data::H5Id dset(H5Dopen2(file.get(), name.c_str(), H5P_DEFAULT));
    offset = H5Dget_offset(dset.get());
  }
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset) + 1000);
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x10);
  f.seekp(static_cast<std::streamoff>(offset) + 1000);
  f.write(&c, 1);
}

TEST(CheckpointIo, DamageIsDetectedAndNamed) {
  SharedDir dir;
  IoComm comm(MPI_COMM_WORLD);
  const State state = sample_state(9, 4);
  write_file(dir / "flip.h5", state, comm);
  write_file(dir / "cut.h5", state, comm);
  write_file(dir / "gone.h5", state, comm);
  if (comm.rank() == 0) {
    flip_byte(dir / "flip.h5", "model/big.weight");
    fs::resize_file(dir / "cut.h5", fs::file_size(dir / "cut.h5") / 2);
    H5Fclose(H5Fopen((dir / "gone.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
    hid_t f = H5Fopen((dir / "gone.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    H5Ldelete(f, "model/conv.weight", H5P_DEFAULT);
    H5Fclose(f);
  }
  comm.barrier();
  auto message_of = [&](const std::function<void()>& work) {
    try {
      work();
    } catch (const CheckpointError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string flipped = message_of([&] {
    Reader r(dir / "flip.h5", comm);
    r.read_replicated();
  });
  EXPECT_NE(flipped.find("model/big.weight fails its checksum"), std::string::npos) << flipped;
  const std::string cut = message_of([&] { Reader r(dir / "cut.h5", comm); });
  EXPECT_NE(cut.find("cut.h5"), std::string::npos) << cut;
  EXPECT_NE(cut.find("truncated"), std::string::npos) << cut;
  const std::string gone = message_of([&] { Reader r(dir / "gone.h5", comm); });
  EXPECT_NE(gone.find("/model/conv.weight listed in its manifest is missing"), std::string::npos) << gone;
}

TEST(CheckpointManager, CommitsPrunesAndFallsBackPastDamage) {
  for (bool async : {false, true}) {
    SharedDir dir;
    Policy policy;
    policy.keep = 2;
    policy.keep_every = 20;
    policy.async = async;
    {
      Manager manager(dir.path(), policy);
      for (int64_t step : {10, 20, 30, 40, 50}) manager.save(sample_state(step, static_cast<int>(step)));
      manager.wait();
      EXPECT_EQ(manager.last_committed(), dir / "step_00000050.h5");
    }
    IoComm comm(MPI_COMM_WORLD);
    EXPECT_EQ(committed_steps(dir.path()), (std::vector<int64_t>{20, 40, 50})) << "async " << async;
    EXPECT_EQ(read_latest(dir.path()), "step_00000050.h5");
    const auto candidates = resume_candidates("auto", dir.path());
    EXPECT_EQ(candidates, (std::vector<std::string>{dir / "step_00000050.h5", dir / "step_00000040.h5",
                                                    dir / "step_00000020.h5"}));
    if (comm.rank() == 0) flip_byte(dir / "step_00000050.h5", "optimizer/big.weight/momentum_buffer");
    comm.barrier();
    const Loaded loaded = load_first_valid(candidates, [](const Manifest&) {});
    EXPECT_EQ(loaded.path, dir / "step_00000040.h5");
    expect_same(loaded.tensors, sample_state(40, 40));
    // A mismatch reported by the check ends the search instead of falling back.
    EXPECT_THROW(load_first_valid(candidates, [](const Manifest&) { DPT_THROW(ConfigError, "other model"); }),
                 ConfigError);
  }
}

TEST(CheckpointManager, DueByStepsAndAtTheEnd) {
  SharedDir dir;
  Policy policy;
  policy.every_steps = 5;
  Manager manager(dir.path(), policy);
  EXPECT_FALSE(manager.due(4, false));
  EXPECT_TRUE(manager.due(5, false));
  EXPECT_TRUE(manager.due(7, true));
  policy.at_end = false;
  Manager no_end(dir / "x", policy);
  EXPECT_FALSE(no_end.due(7, true));
  // By time: rank 0's clock decides; the other ranks follow even if theirs say otherwise.
  Policy timed;
  timed.every_seconds = 1.5;  // well above a save's time, even on a loaded machine
  Manager by_time(dir / "t", timed);
  if (world_rank() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1600));
  EXPECT_TRUE(by_time.due(1, false));
  by_time.save(sample_state(1, 1));  // restarts the clock
  EXPECT_FALSE(by_time.due(2, false));
}

TEST(CheckpointManager, AFailedWriteLeavesThePreviousCheckpoint) {
  SharedDir dir;
  Manager manager(dir.path(), Policy{});
  manager.save(sample_state(10, 1));
  ::setenv("DPT_CHECKPOINT_FAULT", "tensors:throw:*:20", 1);
  EXPECT_THROW(manager.save(sample_state(20, 2)), CheckpointError);
  ::unsetenv("DPT_CHECKPOINT_FAULT");
  IoComm comm(MPI_COMM_WORLD);
  comm.barrier();
  EXPECT_EQ(read_latest(dir.path()), "step_00000010.h5");
  EXPECT_EQ(committed_steps(dir.path()), (std::vector<int64_t>{10}));
  EXPECT_FALSE(fs::exists(dir / "step_00000020.h5.tmp"));
  Reader reader(dir / "step_00000010.h5", comm);
  expect_same(reader.read_replicated(), sample_state(10, 1));
}

}  // namespace
}  // namespace dpt::checkpoint
