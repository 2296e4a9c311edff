#pragma once
// train.init_from: starting a run from another run's weights, e.g. a classifier from a
// masked-LM pre-training checkpoint. Unlike --resume nothing but parameters and buffers moves:
// no optimizer state, step, data position or generator.
#include <string>
#include <vector>

#include "models/model.h"
#include "train/train_state.h"

namespace dpt::train {

struct InitReport {
  std::vector<std::string> loaded;  // model tensors copied from the checkpoint
  std::vector<std::string> fresh;   // model tensors the checkpoint lacks: kept as initialized (new heads)
  std::vector<std::string> unused;  // checkpoint model tensors the model lacks (e.g. cls.predictions.*)
  VocabRecord vocab;                // the vocabulary the checkpoint's run was trained on, if recorded
};

// Collective over MPI_COMM_WORLD. Opens and verifies the checkpoint `spec` (a file, or a run or
// checkpoint directory: its latest committed checkpoint) and copies every
// parameter and buffer it holds under the model's name into `model`. Throws ConfigError when
// a shared name has another shape or dtype (naming it and both shapes) or when nothing at all
// matches; CheckpointError for an unreadable or damaged file.
InitReport init_from_checkpoint(const std::string& spec, models::Model& model);

// One line for the log: "loaded 37 tensors (bert.embeddings: 5, bert.encoder: 32); new: ...;
// not used: ...". Groups names by their first two components.
std::string describe(const InitReport& report);

}  // namespace dpt::train
