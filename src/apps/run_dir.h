#pragma once
// The run directory runs/<name>/ of a training run.
#include <string>

#include "config/config.h"

namespace dpt::apps {

// <run.dir>/<run.name>, without touching the file system.
std::string run_dir_path(const config::Config& config);

// Collective over MPI_COMM_WORLD. Rank 0 creates <run.dir>/<run.name>/ and writes the resolved
// config.ini there; every rank returns the path. Throws ConfigError when it cannot be created.
std::string prepare_run_dir(const config::Config& config);

}  // namespace dpt::apps
