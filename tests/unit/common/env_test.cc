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

TEST(Env, FieldsSplitAtTheSeparator) {
  ::unsetenv("DPT_TEST_VAR");
  EXPECT_TRUE(env::get_fields("DPT_TEST_VAR", ':').empty());
  ::setenv("DPT_TEST_VAR", "kill:1:13", 1);
  EXPECT_EQ(env::get_fields("DPT_TEST_VAR", ':'), (std::vector<std::string>{"kill", "1", "13"}));
  ::setenv("DPT_TEST_VAR", "a::b", 1);
  EXPECT_EQ(env::get_fields("DPT_TEST_VAR", ':'), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(env::parse_int("DPT_TEST_VAR", "-7"), -7);
  EXPECT_THROW(env::parse_int("DPT_TEST_VAR", ""), ConfigError);
  EXPECT_THROW(env::parse_int("DPT_TEST_VAR", "x1"), ConfigError);
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
