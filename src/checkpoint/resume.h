#pragma once
// Finding and loading the checkpoint a run resumes from.
#include <functional>
#include <string>
#include <vector>

#include "checkpoint/state.h"

namespace dpt::checkpoint {

// The files `--resume <spec>` may resume from, in the order to try them:
//   "auto"       the file `latest` in `checkpoint_dir` names, then the older committed
//                checkpoints there, newest first (none: empty, a fresh start); without
//                `latest`, every committed checkpoint, newest first;
//   a directory  the same inside it (a run directory stands for its checkpoints/);
//   a file       that file only.
// Collective over MPI_COMM_WORLD: rank 0 looks, every rank gets its list. Throws ConfigError
// when an explicit path does not exist.
std::vector<std::string> resume_candidates(const std::string& spec, const std::string& checkpoint_dir);

struct Loaded {
  std::string path;
  Manifest manifest;
  std::vector<TensorEntry> tensors;  // every replicated tensor, whole, verified
  at::Tensor rank_state;             // this rank's own state, or undefined
};

// Collective over MPI_COMM_WORLD. Tries `candidates` in order: opens one, lets `check` judge
// its manifest (check throws ConfigError when the checkpoint does not fit the run, e.g. another
// model: that ends the search), reads and verifies every tensor. A damaged candidate is reported
// on rank 0 ("... is damaged (...); trying ...") and the next one is tried. Throws
// CheckpointError when no candidate verifies.
Loaded load_first_valid(const std::vector<std::string>& candidates,
                        const std::function<void(const Manifest&)>& check);

}  // namespace dpt::checkpoint
