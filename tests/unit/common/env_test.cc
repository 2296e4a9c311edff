#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "common/env.h"
#include "common/error.h"

namespace dpt {
namespace {

TEST(Env, IntegerParsingAndFallback) {
  ::unsetenv("DPT_TEST_VAR");
  EXPECT_EQ(env::get_int("DPT_TEST_VAR", 42), 42);
  ::setenv("DPT_TEST_VAR", "1024", 1);
  EXPECT_EQ(env::get_int("DPT_TEST_VAR", 42), 1024);
  ::setenv("DPT_TEST_VAR", "12x", 1);
  EXPECT_THROW(env::get_int("DPT_TEST_VAR", 42), ConfigError);
  ::unsetenv("DPT_TEST_VAR");
}

TEST(Env, TableNamesEveryVariableOnce) {
  std::set<std::string> names;
  for (const auto& v : env::all()) {
    EXPECT_EQ(std::string(v.name).rfind("DPT_", 0), 0u) << v.name;
    EXPECT_TRUE(names.insert(v.name).second) << v.name;
  }
  EXPECT_TRUE(names.count(env::kLogLevel));
  EXPECT_TRUE(names.count(env::kMpiMaxChunkBytes));
}

}  // namespace
}  // namespace dpt
