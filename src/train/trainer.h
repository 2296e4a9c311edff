#pragma once
// Trainer: the step loop of `dptrain train`.
//   fetch → forward → backward (gradients reduced in buckets, Note [Overlap]) → clip → step →
//   schedule → log → evaluate.
// Every rank runs it in lockstep with the same config; rank 0 writes the run directory.
// Checkpoints (checkpoint/, Note [Checkpoint commit]) are written after the steps the
// [checkpoint] options name; resume() continues a run from one.
#include <functional>
#include <memory>
#include <optional>
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
  int64_t start_step = 0;           // > 0 when resumed
  bool completed = true;            // false: stopped early (stop_after() or the stop check)
  bool stop_requested = false;      // the stop check asked for the stop
  int64_t checkpoints = 0;          // checkpoints written by this run
  double checkpoint_stall_s = 0;    // time the step loop spent in them (async: host copies)
  int64_t optimizer_state_bytes = 0;  // on the rank holding the most, at the end
  int64_t skipped_steps = 0;        // non-finite steps dropped (train.nonfinite=skip) by this run
};

// The checkpoint a run resumed from.
struct ResumeInfo {
  std::string path;
  int64_t step = 0;
  int64_t world_size = 0;  // of the run that wrote it
};

// <checkpoint.dir>, or <run_dir>/checkpoints when it is empty ("" when both are).
std::string checkpoint_dir(const config::Config& config, const std::string& run_dir);

class Trainer {
 public:
  // Collective. Checks everything before any work: throws ConfigError for an inconsistent
  // config (e.g. a global batch that micro_batch × world size does not divide) and DataError
  // for an unusable dataset. Builds the model and makes every rank's replica equal rank 0's.
  Trainer(const config::Config& config, comm::Communicator& comm, at::Device device);
  ~Trainer();
  // Collective. Continues from a checkpoint instead of step 0: `spec` is --resume's value,
  // "auto" or a path (checkpoint/resume.h resume_candidates); `dir` the run's checkpoint
  // directory. Loads and verifies it (a damaged newest one is reported and the previous used),
  // checks it against the model (ConfigError naming the first mismatching tensor), and
  // restores parameters, buffers, optimizer state, the loader position, the step (and so the
  // LR schedule) and this rank's generator. Same world size: the run goes on bit for bit as if
  // never stopped; another world size: the same up to floating-point reduction order.
  // Returns nullopt when spec is "auto" and there is no checkpoint (a fresh start).
  std::optional<ResumeInfo> resume(const std::string& spec, const std::string& dir);
  // Ends run() after `step` completed steps with a checkpoint, as if the job were preempted
  // there (0 = run to the end). For tests and time-limited jobs.
  void stop_after(int64_t step);
  // Called after every step, on every rank at the same point; when it returns true the run
  // writes a checkpoint (when checkpoints are on) and ends, with summary.completed = false and
  // summary.stop_requested = true. It must return the same on every rank -- e.g. the
  // all-reduced stop-signal flag of comm/stop_agreement.h.
  void set_stop_check(std::function<bool()> check);
  // Collective. Trains, evaluates, and (rank 0) writes metrics.jsonl and summary.json into
  // `run_dir` (which exists), or nothing when it is empty; writes checkpoints into
  // checkpoint_dir(config, run_dir) (none when that is empty). A resumed run drops the lines of
  // metrics.jsonl after its start step (a crashed run may have logged past its checkpoint) and
  // appends from there.
  TrainSummary run(const std::string& run_dir);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace dpt::train
