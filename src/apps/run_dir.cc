#include "apps/run_dir.h"

#include <mpi.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "runtime/mpi_check.h"

namespace dpt::apps {

std::string run_dir_path(const config::Config& config) {
  return config.get_string("run.dir") + "/" + config.get_string("run.name");
}

std::string prepare_run_dir(const config::Config& config) {
  const std::string dir = run_dir_path(config);
  int rank = 0;
  DPT_CHECK_MPI(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  int ok = 1;
  std::string problem;
  if (rank == 0) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    std::ofstream out(dir + "/config.ini");
    out << "; resolved configuration of this run (defaults < --config file < command line)\n"
        << config.to_ini();
    if (ec || !out.good()) {
      ok = 0;
      problem = ec ? ec.message() : "cannot write config.ini";
    }
  }
  DPT_CHECK_MPI(MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD));
  DPT_CHECK(ok == 1, ConfigError, "cannot create the run directory " << dir
            << (problem.empty() ? "" : " (" + problem + ")") << "; check run.dir and run.name");
  return dir;
}

}  // namespace dpt::apps
