#include <gtest/gtest.h>

#include "common/error.h"
#include "runtime/launcher_check.h"

namespace dpt::runtime {
namespace {

TEST(LauncherCheck, AnnouncedTasksPrefersTheStepCount) {
  EXPECT_EQ(announced_tasks({}).count, 0);
  EXPECT_EQ(announced_tasks({{"SLURM_NTASKS", "8"}, {"SLURM_STEP_NUM_TASKS", "2"}}).count, 2);
  const auto t = announced_tasks({{"OMPI_COMM_WORLD_SIZE", "4"}});
  EXPECT_EQ(t.count, 4);
  EXPECT_EQ(t.variable, "OMPI_COMM_WORLD_SIZE");
  EXPECT_EQ(announced_tasks({{"PMI_SIZE", "3"}}).count, 3);
}

TEST(LauncherCheck, MismatchFailsWithALaunchHint) {
  try {
    check_launcher(1, {{"SLURM_NTASKS", "2"}});
    FAIL() << "no error for 2 announced tasks in a 1-rank world";
  } catch (const CommError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("SLURM_NTASKS=2"), std::string::npos) << what;
    EXPECT_NE(what.find("srun --mpi=pmix"), std::string::npos) << what;
  }
}

TEST(LauncherCheck, MatchingOrSingleOrSkippedPasses) {
  EXPECT_NO_THROW(check_launcher(2, {{"SLURM_NTASKS", "2"}}));
  EXPECT_NO_THROW(check_launcher(1, {{"SLURM_NTASKS", "1"}}));
  EXPECT_NO_THROW(check_launcher(1, {}));
  EXPECT_NO_THROW(check_launcher(1, {{"SLURM_NTASKS", "2"}, {"DPT_SKIP_LAUNCHER_CHECK", "1"}}));
}

TEST(LauncherCheck, SrunStepWithoutPmiFailsBeforeMpi) {
  try {
    check_launch_before_mpi({{"SLURM_STEP_NUM_TASKS", "2"}, {"SLURM_NTASKS", "2"}});
    FAIL() << "no error for an srun step of 2 tasks without PMI";
  } catch (const CommError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("SLURM_STEP_NUM_TASKS=2"), std::string::npos) << what;
    EXPECT_NE(what.find("srun --mpi=pmix"), std::string::npos) << what;
  }
  EXPECT_NO_THROW(check_launch_before_mpi({{"SLURM_STEP_NUM_TASKS", "2"}, {"PMIX_RANK", "1"}}));
  EXPECT_NO_THROW(check_launch_before_mpi({{"SLURM_STEP_NUM_TASKS", "2"}, {"PMI_RANK", "0"}, {"PMI_FD", "9"}}));
  EXPECT_NO_THROW(check_launch_before_mpi({{"SLURM_STEP_NUM_TASKS", "1"}}));
  EXPECT_NO_THROW(check_launch_before_mpi({{"SLURM_NTASKS", "2"}}));  // a batch script, not a step
  EXPECT_NO_THROW(check_launch_before_mpi({{"SLURM_STEP_NUM_TASKS", "2"}, {"DPT_SKIP_LAUNCHER_CHECK", "1"}}));
}

}  // namespace
}  // namespace dpt::runtime
