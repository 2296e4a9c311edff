#include <gtest/gtest.h>

#include "common/error.h"
#include "runtime/device.h"

namespace dpt::runtime {
namespace {

TEST(Device, ThreadsPerRank) {
  Topology t;
  t.local_size = 1;
  EXPECT_EQ(threads_per_rank(t, 3), 3);
  EXPECT_GE(threads_per_rank(t, 0), 1);
  t.local_size = 1000;  // more ranks than cores: still one thread each
  EXPECT_EQ(threads_per_rank(t, 0), 1);
}

TEST(Device, BindsToCpuWithoutGpusAndRefusesWhenOneIsRequired) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "this machine has a GPU";
  Topology t;
  const DeviceBinding b = bind_device(t);
  EXPECT_FALSE(b.cuda);
  EXPECT_EQ(b.str(), "cpu");
  EXPECT_THROW(bind_device(t, /*require_gpu=*/true), CommError);
}

}  // namespace
}  // namespace dpt::runtime
