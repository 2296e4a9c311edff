// dptrain inspect <dir>: describes a dataset split and checks it against its manifest. Exits
// with kExitError when the check finds a problem, so scripts can rely on it.
#include <boost/program_options.hpp>
#include <iostream>

#include "apps/command.h"
#include "common/error.h"
#include "data/dataset.h"
#include "data/inspect.h"

namespace po = boost::program_options;

namespace dpt::apps {
namespace {

int run(const config::ParsedCommand& parsed) {
  DPT_CHECK(parsed.local.count("path"), ConfigError, "usage: dptrain inspect <dataset directory>");
  const std::string path = parsed.local["path"].as<std::string>();
  const data::DatasetCheck check = data::check_dataset(path);
  std::cout << data::describe_dataset(path, check) << std::flush;
  return check.problems.empty() ? kExitOk : kExitError;
}

config::CommandSpec spec() {
  config::CommandSpec s;
  s.name = "inspect";
  s.summary = "describe a dataset split and check every shard against its manifest";
  s.local.add_options()("path", po::value<std::string>(), "dataset split directory");
  s.positional = {"path"};
  return s;
}

}  // namespace

Command inspect_command() { return {spec, run}; }

}  // namespace dpt::apps
