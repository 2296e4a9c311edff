#pragma once
// The model stored in a checkpoint, rebuilt for `dptrain eval` and `dptrain export`.
#include <memory>
#include <string>

#include "checkpoint/state.h"
#include "config/config.h"
#include "models/model.h"
#include "train/train_state.h"

namespace dpt::apps {

struct CheckpointModel {
  std::shared_ptr<models::Model> model;
  config::Config config;  // the configuration the checkpoint was trained with
  train::ModelInfo info;
  checkpoint::Manifest manifest;
};

// Collective over MPI_COMM_WORLD. Opens and verifies the checkpoint `path`, builds its model
// from the [model] section of its stored configuration and the input shape its manifest
// records (no dataset needed), and loads its parameters and buffers (optimizer state is not
// read). Throws CheckpointError for a damaged file, ConfigError for a stored configuration
// this dptrain cannot build.
CheckpointModel load_checkpoint_model(const std::string& path);

// Sets every "key = value" of the INI text `ini` (as Config::to_ini writes it) on `config`;
// keys this dptrain does not know are skipped with a warning.
void apply_ini_text(const std::string& ini, const std::string& origin, config::Config* config);

}  // namespace dpt::apps
