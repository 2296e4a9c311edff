// dptrain inspect <dir>: describes a dataset split and checks it against its manifest.
// dptrain inspect <file.h5>: describes a checkpoint and verifies every tensor's checksum.
// Exits with kExitError when the check finds a problem, so scripts can rely on it.
#include <boost/program_options.hpp>
#include <filesystem>
#include <iostream>

#include "apps/command.h"
#include "checkpoint/inspect.h"
#include "common/error.h"
#include "data/dataset.h"
#include "data/inspect.h"

namespace po = boost::program_options;

namespace dpt::apps {
namespace {

int run(const config::ParsedCommand& parsed) {
  DPT_CHECK(parsed.local.count("path"), ConfigError, "usage: dptrain inspect <dataset directory | checkpoint.h5>");
  const std::string path = parsed.local["path"].as<std::string>();
  if (checkpoint::is_hdf5_file(path)) {
    checkpoint::IoComm comm(MPI_COMM_WORLD);
    const checkpoint::Inspection inspection = checkpoint::inspect_file(path, comm);
    if (comm.rank() == 0) std::cout << inspection.text << std::flush;
    return inspection.problems.empty() ? kExitOk : kExitError;
  }
  // A report lists what is wrong inside a split; a path that is no split at all is an error.
  std::error_code ec;
  DPT_CHECK(std::filesystem::exists(path, ec), DataError,
            "'" << path << "' does not exist; pass a dataset split directory or a checkpoint file (step_N.h5)");
  DPT_CHECK(std::filesystem::is_directory(path, ec), DataError,
            "'" << path << "' is neither a dataset split directory nor an HDF5 checkpoint file; pass a split made by "
                   "'dptrain prepare' or a checkpoint written by 'dptrain train'");
  const data::DatasetCheck check = data::check_dataset(path);
  std::cout << data::describe_dataset(path, check) << std::flush;
  return check.problems.empty() ? kExitOk : kExitError;
}

config::CommandSpec spec() {
  config::CommandSpec s;
  s.name = "inspect";
  s.summary = "describe and verify a dataset split (directory) or a checkpoint (file.h5)";
  s.local.add_options()("path", po::value<std::string>(), "dataset split directory or checkpoint file");
  s.positional = {"path"};
  return s;
}

}  // namespace

Command inspect_command() { return {spec, run}; }

}  // namespace dpt::apps
