#pragma once
// Trainer: the step loop of `dptrain train`.
//   fetch → forward → backward (gradients reduced in buckets, Note [Overlap]) → clip → step →
//   schedule → log → evaluate.
// Every rank runs it in lockstep with the same config; rank 0 writes the run directory.
#include <memory>
#include <string>

#include "comm/communicator.h"
#include "config/config.h"
#include "train/evaluator.h"

namespace dpt::train {

struct TrainSummary {
  int64_t steps = 0;
  int64_t samples = 0;
  double wall_s = 0;
  double samples_per_s = 0;  // mean over the run, after the first (warm-up) step
  EvalResult final_eval;
  bool evaluated = false;
};

class Trainer {
 public:
  // Collective. Checks everything before any work: throws ConfigError for an inconsistent
  // config (e.g. a global batch that micro_batch × world size does not divide) and DataError
  // for an unusable dataset. Builds the model and makes every rank's replica equal rank 0's.
  Trainer(const config::Config& config, comm::Communicator& comm, at::Device device);
  ~Trainer();
  // Collective. Trains, evaluates, and (rank 0) writes metrics.jsonl and summary.json into
  // `run_dir` (which exists), or nothing when it is empty.
  TrainSummary run(const std::string& run_dir);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace dpt::train
