#include <gtest/gtest.h>

#include "common/stats.h"

TEST(Stats, Median) {
  EXPECT_DOUBLE_EQ(dpt::median({}), 0.0);
  EXPECT_DOUBLE_EQ(dpt::median({5}), 5.0);
  EXPECT_DOUBLE_EQ(dpt::median({9, 1, 5}), 5.0);
  EXPECT_DOUBLE_EQ(dpt::median({4, 1, 3, 2}), 2.5);
}
