#include <gtest/gtest.h>

#include "common/error.h"
#include "common/log.h"

namespace dpt {
namespace {

TEST(Error, ThrowCarriesKindMessageFileLineAndRank) {
  log::set_rank(3, 4);
  try {
    DPT_THROW(DataError, "shard " << 7 << " missing");
    FAIL() << "no throw";
  } catch (const DataError& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.kind(), "DataError");
    EXPECT_NE(what.find("shard 7 missing"), std::string::npos) << what;
    EXPECT_NE(what.find("error_test.cc:"), std::string::npos) << what;
    EXPECT_NE(what.find("rank 3"), std::string::npos) << what;
  }
  log::set_rank(-1, 0);
}

TEST(Error, CheckThrowsOnlyWhenFalse) {
  EXPECT_NO_THROW(DPT_CHECK(1 + 1 == 2, ConfigError, "never"));
  EXPECT_THROW(DPT_CHECK(1 + 1 == 3, ConfigError, "always"), ConfigError);
}

TEST(Error, FormatErrorNamesTheCall) {
  const std::string text = format_error("bad", "MPI_Bcast(x)", "/a/src/comm/x.cc", 12);
  EXPECT_NE(text.find("[in MPI_Bcast(x)]"), std::string::npos) << text;
  EXPECT_NE(text.find("comm/x.cc:12"), std::string::npos) << text;
  EXPECT_EQ(text.find("/a/src/"), std::string::npos) << text;
}

}  // namespace
}  // namespace dpt
