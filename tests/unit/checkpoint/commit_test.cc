#include <gtest/gtest.h>

#include <filesystem>

#include "checkpoint/commit.h"
#include "checkpoint/fault.h"
#include "checkpoint/state.h"
#include "common/env.h"
#include "unit/data/fixtures.h"

namespace dpt::checkpoint {
namespace {

using data::testing::TempDir;
using data::testing::write_file;

TEST(Retention, KeepsTheNewestAndTheMultiples) {
  const std::vector<int64_t> steps = {100, 200, 300, 400, 500, 600};
  EXPECT_EQ(steps_to_remove(steps, 3, 0, 600), (std::vector<int64_t>{100, 200, 300}));
  EXPECT_EQ(steps_to_remove(steps, 2, 200, 600), (std::vector<int64_t>{100, 300}));
  EXPECT_EQ(steps_to_remove(steps, 0, 0, 600), (std::vector<int64_t>{}));  // keep = 0: keep all
  EXPECT_EQ(steps_to_remove(steps, 10, 0, 600), (std::vector<int64_t>{}));
  EXPECT_EQ(steps_to_remove(steps, 1, 0, 300), (std::vector<int64_t>{100, 200, 400, 500}));  // protect
}

TEST(Latest, WrittenAtomicallyAndReadBack) {
  TempDir dir;
  EXPECT_EQ(read_latest(dir.path()), "");
  write_latest(dir.path(), step_file_name(10));
  EXPECT_EQ(read_latest(dir.path()), "step_00000010.h5");
  write_latest(dir.path(), step_file_name(20));
  EXPECT_EQ(read_latest(dir.path()), "step_00000020.h5");
  EXPECT_FALSE(std::filesystem::exists(dir / "latest.tmp"));
}

TEST(CommittedSteps, IgnoresTemporariesAndOtherFiles) {
  TempDir dir;
  for (const char* name : {"step_00000010.h5", "step_00000002.h5", "step_00000030.h5.tmp", "latest", "latest.tmp",
                           "step_x.h5", "notes.txt"}) {
    write_file(dir / name, "x");
  }
  EXPECT_EQ(committed_steps(dir.path()), (std::vector<int64_t>{2, 10}));
  remove_temporaries(dir.path());
  EXPECT_FALSE(std::filesystem::exists(dir / "step_00000030.h5.tmp"));
  EXPECT_FALSE(std::filesystem::exists(dir / "latest.tmp"));
  EXPECT_TRUE(std::filesystem::exists(dir / "latest"));
  EXPECT_TRUE(std::filesystem::exists(dir / "notes.txt"));
}

TEST(Fsync, NamesTheMissingFile) {
  TempDir dir;
  try {
    fsync_file(dir / "missing.h5");
    FAIL() << "no error";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("missing.h5"), std::string::npos) << e.what();
  }
  fsync_directory(dir.path());  // no throw
}

TEST(FaultPoint, ThrowsOnlyAtTheNamedStageRankAndStep) {
  ::setenv(env::kCheckpointFault, "tensors:throw:1:20", 1);
  EXPECT_NO_THROW(fault_point("create", 1, 20));
  EXPECT_NO_THROW(fault_point("tensors", 0, 20));
  EXPECT_NO_THROW(fault_point("tensors", 1, 10));
  EXPECT_THROW(fault_point("tensors", 1, 20), CheckpointError);
  ::setenv(env::kCheckpointFault, "close:throw", 1);  // rank 0, any step
  EXPECT_THROW(fault_point("close", 0, 5), CheckpointError);
  EXPECT_NO_THROW(fault_point("close", 1, 5));
  ::setenv(env::kCheckpointFault, "close:throw:*", 1);
  EXPECT_THROW(fault_point("close", 3, 5), CheckpointError);
  ::setenv(env::kCheckpointFault, "close:explode", 1);
  EXPECT_THROW(fault_point("close", 0, 5), ConfigError);
  ::unsetenv(env::kCheckpointFault);
  EXPECT_NO_THROW(fault_point("close", 0, 5));
}

}  // namespace
}  // namespace dpt::checkpoint
