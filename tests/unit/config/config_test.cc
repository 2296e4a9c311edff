#include <gtest/gtest.h>

#include "common/error.h"
#include "config/config.h"
#include "config/schema.h"

namespace dpt::config {
namespace {

TEST(Config, DefaultsComeFromTheSchema) {
  Config c;
  for (const auto& spec : schema()) {
    EXPECT_NO_THROW(c.set(spec.name, spec.default_value)) << spec.name;
  }
  EXPECT_EQ(c.get_string("comm.backend"), "auto");
  EXPECT_EQ(c.get_int("run.threads"), 0);
  EXPECT_TRUE(c.get_bool("run.launcher_check"));
}

TEST(Config, RejectsWrongTypesRangesAndChoicesNamingTheOption) {
  Config c;
  try {
    c.set("run.threads", "two", "command line");
    FAIL();
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("run.threads"), std::string::npos) << what;
    EXPECT_NE(what.find("'two'"), std::string::npos) << what;
    EXPECT_NE(what.find("not an integer"), std::string::npos) << what;
    EXPECT_NE(what.find("command line"), std::string::npos) << what;
  }
  EXPECT_THROW(c.set("run.threads", "-1"), ConfigError);
  EXPECT_THROW(c.set("run.launcher_check", "maybe"), ConfigError);
  EXPECT_THROW(c.set("comm.backend", "gloo"), ConfigError);
  EXPECT_THROW(c.set("comm.nothing", "1"), ConfigError);
  EXPECT_NO_THROW(c.set("comm.backend", "nccl"));
  EXPECT_EQ(c.get_string("comm.backend"), "nccl");
}

TEST(Config, BooleansAcceptTheUsualSpellings) {
  bool b = false;
  for (const char* t : {"true", "1", "yes", "on"}) {
    ASSERT_TRUE(parse_bool(t, &b));
    EXPECT_TRUE(b);
  }
  for (const char* f : {"false", "0", "no", "off"}) {
    ASSERT_TRUE(parse_bool(f, &b));
    EXPECT_FALSE(b);
  }
  EXPECT_FALSE(parse_bool("True!", &b));
}

TEST(Config, IniPrintRoundTripsAndHashTellsConfigsApart) {
  Config a;
  Config b;
  EXPECT_EQ(a.hash(), b.hash());
  b.set("run.threads", "3");
  EXPECT_NE(a.hash(), b.hash());
  const std::string ini = b.to_ini({"run"});
  EXPECT_NE(ini.find("[run]\n"), std::string::npos) << ini;
  EXPECT_NE(ini.find("threads = 3\n"), std::string::npos) << ini;
  EXPECT_EQ(ini.find("[comm]"), std::string::npos) << ini;
}

// Every accepted value must survive config.ini: the INI reader trims blanks, stops at control
// characters and cuts comments, so such values are refused up front (found by fuzz_config).
TEST(Config, RefusesValuesThatConfigIniCannotCarry) {
  Config c;
  for (const char* bad : {" 3", "3 ", "a #b", "a#b", ";x", "x ;y", "a\rb", "a\tb", "a\nb"}) {
    try {
      c.set("run.name", bad, "command line");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("config.ini"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(c.set("run.threads", " 3"), ConfigError);  // strtoll alone would take it
  EXPECT_THROW(c.set("optim.lr", "0.1 "), ConfigError);
  for (const char* good : {"my-run", "a;b", "a=b", "with space", "x/y.z", ""}) EXPECT_NO_THROW(c.set("run.name", good)) << good;
}

TEST(Config, TypedGetterOnWrongTypeIsAnInternalError) {
  Config c;
  EXPECT_THROW(c.get_int("comm.backend"), InternalError);
  EXPECT_THROW(c.get_string("no.such"), InternalError);
}

}  // namespace
}  // namespace dpt::config
