#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <fstream>

#include "common/error.h"
#include "config/command_line.h"

namespace dpt::config {
namespace {

CommandSpec bench_like() {
  CommandSpec s;
  s.name = "test cmd";
  s.summary = "a test command";
  s.sections = {"run", "comm"};
  s.local.add_options()("size", boost::program_options::value<int>()->default_value(4), "a size");
  return s;
}

std::string write_ini(const std::string& text) {
  char path[] = "/tmp/dpt_config_XXXXXX";
  const int fd = ::mkstemp(path);
  ::close(fd);
  std::ofstream(path) << text;
  return path;
}

std::string error_of(const CommandSpec& spec, const std::vector<std::string>& args) {
  try {
    parse_command(spec, args);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(CommandLine, FileThenCommandLinePrecedence) {
  const std::string ini = write_ini(
      "; a comment line\n[run]\nthreads = 3   ; inline comment\nname = from_file # another\n"
      "[comm]\nbackend = mpi\n");
  auto parsed = parse_command(bench_like(), {"--config", ini, "--run.threads=5", "--size", "9"});
  EXPECT_EQ(parsed.config.get_int("run.threads"), 5);             // command line wins
  EXPECT_EQ(parsed.config.get_string("run.name"), "from_file");   // file beats default
  EXPECT_EQ(parsed.config.get_string("comm.backend"), "mpi");
  EXPECT_TRUE(parsed.config.get_bool("run.launcher_check"));      // default
  EXPECT_EQ(parsed.local["size"].as<int>(), 9);
  EXPECT_EQ(parsed.config_file, ini);
  std::remove(ini.c_str());
}

TEST(CommandLine, EmptyValueAfterEqualsSign) {
  auto parsed = parse_command(bench_like(), {"--run.name=", "--run.dir", ""});
  EXPECT_EQ(parsed.config.get_string("run.name"), "");
  EXPECT_EQ(parsed.config.get_string("run.dir"), "");
}

// What config.ini stores must read back as the same configuration (resume reads it).
TEST(CommandLine, ResolvedConfigRoundTripsThroughIni) {
  for (const char* value : {"", "a;b", "a=b", "with space", "[x]", "x\xc3\xa9"}) {
    auto parsed = parse_command(bench_like(), {std::string("--run.name=") + value, "--run.threads=2"});
    const std::string ini = write_ini(parsed.config.to_ini());
    auto again = parse_command(bench_like(), {"--config", ini});
    EXPECT_EQ(again.config.to_ini(), parsed.config.to_ini()) << "run.name = '" << value << "'";
    std::remove(ini.c_str());
  }
}

TEST(CommandLine, UnknownKeyOnCommandLineSuggestsNearest) {
  const std::string what = error_of(bench_like(), {"--comm.bakend=mpi"});
  EXPECT_NE(what.find("unknown option 'comm.bakend'"), std::string::npos) << what;
  EXPECT_NE(what.find("did you mean 'comm.backend'"), std::string::npos) << what;
}

TEST(CommandLine, UnknownKeyInFileSuggestsNearestAndNamesTheFile) {
  const std::string ini = write_ini("[run]\nthreds = 2\n");
  const std::string what = error_of(bench_like(), {"--config", ini});
  EXPECT_NE(what.find("run.threds"), std::string::npos) << what;
  EXPECT_NE(what.find("did you mean 'run.threads'"), std::string::npos) << what;
  EXPECT_NE(what.find(ini), std::string::npos) << what;
  std::remove(ini.c_str());
}

TEST(CommandLine, WrongTypeInFileNamesOptionAndFile) {
  const std::string ini = write_ini("[run]\nthreads = many\n");
  const std::string what = error_of(bench_like(), {"--config", ini});
  EXPECT_NE(what.find("run.threads"), std::string::npos) << what;
  EXPECT_NE(what.find("not an integer"), std::string::npos) << what;
  EXPECT_NE(what.find(ini), std::string::npos) << what;
  std::remove(ini.c_str());
}

TEST(CommandLine, MissingConfigFile) {
  const std::string what = error_of(bench_like(), {"--config", "/nonexistent/x.ini"});
  EXPECT_NE(what.find("'/nonexistent/x.ini' cannot be read"), std::string::npos) << what;
}

TEST(CommandLine, OptionOfAnUnusedSectionIsRejected) {
  CommandSpec s = bench_like();
  s.sections = {"run"};
  const std::string what = error_of(s, {"--comm.backend=mpi"});
  EXPECT_NE(what.find("not used by 'dptrain test cmd'"), std::string::npos) << what;
}

TEST(CommandLine, BadLocalValueAndHelp) {
  EXPECT_NE(error_of(bench_like(), {"--size", "big"}).find("size"), std::string::npos);
  auto parsed = parse_command(bench_like(), {"--help"});
  EXPECT_TRUE(parsed.help);
  const std::string help = help_text(bench_like());
  EXPECT_NE(help.find("usage: dptrain test cmd"), std::string::npos) << help;
  EXPECT_NE(help.find("--comm.backend"), std::string::npos) << help;
  EXPECT_NE(help.find("(default: auto)"), std::string::npos) << help;
}

// Note [Boost placeholders]: a value that spells one of Boost's placeholders hung the parser.
TEST(CommandLine, ValueSpellingABoostPlaceholderIsReportedAsTyped) {
  for (const std::string value : {"%value%", "%canonical_option%", "x%value%y", "%option%%value%", "%"}) {
    const std::string what = error_of(bench_like(), {"--size", value});
    EXPECT_NE(what.find("('" + value + "')"), std::string::npos) << what;
    EXPECT_NE(what.find("'--size'"), std::string::npos) << what;
  }
  const std::string ini = write_ini("%invalid_line%\n");
  const std::string what = error_of(bench_like(), {"--config", ini});
  EXPECT_NE(what.find(ini), std::string::npos) << what;
  std::remove(ini.c_str());
}

TEST(CommandLine, Nearest) {
  EXPECT_EQ(nearest("train.global_bach", {"train.global_batch", "train.micro_batch"}), "train.global_batch");
  EXPECT_EQ(nearest("threads", {"run.threads", "comm.backend"}), "run.threads");
  EXPECT_EQ(nearest("zzzzzzzz", {"run.threads"}), "");
}

}  // namespace
}  // namespace dpt::config
