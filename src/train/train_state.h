#pragma once
// The bridge between a training run and a checkpoint (checkpoint/state.h): which tensors and
// counters make up a run's state, how they are checked against a model, and how they are put
// back. Names are the model's named_parameters() / named_buffers() names:
//   model/<param>, buffers/<buffer>, optimizer/<param>/<state> (sgd: momentum_buffer;
//   adam, adamw: exp_avg, exp_avg_sq, step [, max_exp_avg_sq]), data/{epoch,position,seed},
//   trainer/{step,samples,scheduler_step}; each rank's CPU generator state as its rank state.
#include <torch/optim/optimizer.h>

#include <string>

#include "checkpoint/resume.h"
#include "checkpoint/state.h"
#include "data/loader.h"
#include "ddp/sharded_optimizer.h"
#include "models/model.h"

namespace dpt::train {

// Where a run stands between two steps.
struct TrainPosition {
  int64_t step = 0;     // optimizer steps completed (= the LR schedule's position)
  int64_t samples = 0;  // training samples consumed
  data::LoaderState loader;
  int64_t data_seed = 0;
};

// Text models: the training split's vocabulary (Note [Vocabulary identity] in data/manifest.h);
// empty strings for other models and in checkpoints written before it was recorded.
struct VocabRecord {
  std::string path, hash;
};

// What eval/export need to rebuild the model without the dataset, kept in the manifest's extra.
struct ModelInfo {
  std::string model_type;
  std::string optimizer;
  models::InputSpec input;
  VocabRecord vocab;
};

// The optimizer of a run: a LibTorch optimizer over the parameters, or the sharded one
// (ddp.shard_optimizer, Note [ZeRO-1]); both null: none (model only).
struct OptimizerRef {
  torch::optim::Optimizer* plain = nullptr;
  ddp::ShardedOptimizer* sharded = nullptr;
};

// The state of a run: the live parameters, buffers and optimizer state (detached, moved to the
// CPU when they live elsewhere, not copied otherwise), the counters, this rank's generator.
// Sharded optimizer state is stored as sharded entries under the same names, each rank its
// pieces at their global offsets, so the file is the same as an unsharded run's and resumes
// on any world size, sharded or not.
checkpoint::State capture_state(models::Model& model, OptimizerRef optimizer, const TrainPosition& progress,
                                const ModelInfo& info, const std::string& config_text);

// Throws ConfigError naming the first tensor in which `manifest` and the model differ: a
// parameter or buffer missing on either side, or of another shape or dtype; or optimizer state
// of another optimizer than `optimizer_name` (sgd | adam | adamw).
void check_compatible(const checkpoint::Manifest& manifest, models::Model& model, const std::string& optimizer_name);

// Copies a loaded checkpoint's parameters and buffers into `model` and rebuilds `optimizer`'s
// state from it (this rank's blocks when sharded). Call check_compatible first. Returns the
// counters. The generator state is restored when the checkpoint has one for this rank.
TrainPosition restore_state(const checkpoint::Loaded& loaded, models::Model& model, OptimizerRef optimizer);

// Note [Random streams]
// What draws random numbers while training (dropout) uses the default generator of the device
// it runs on, and LibTorch seeds the CPU one from the operating system at start-up: two runs of
// one config trained differently (eval_invariance_np2 found it: bert's losses differed from the
// first step). So before the first step each rank seeds the default generators of the CPU and
// of `device` from (train.seed, rank): the same run every time, and independent dropout masks
// on every rank (one shared seed would give row i of every rank's micro-batch the same mask).
// A resume then puts back the CPU generator state that the checkpoint saved for the rank
// (rng/rank_<r>); a rank that it saved nothing for (more ranks than before) keeps its seeded
// stream. The CUDA generator's state is not in checkpoints: on a GPU, a resumed run with
// dropout is reseeded, not continued bit for bit.
void seed_rank_generators(int64_t seed, int rank, const at::Device& device);

// ModelInfo from a manifest's extra; throws CheckpointError when it is missing.
ModelInfo model_info(const checkpoint::Manifest& manifest, const std::string& where);
// The vocabulary a checkpoint's manifest records; empty when it records none.
VocabRecord recorded_vocab(const checkpoint::Manifest& manifest);

}  // namespace dpt::train
