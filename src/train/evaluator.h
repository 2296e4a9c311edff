#pragma once
// Evaluation over a whole split: every sample counted exactly once, on any number of ranks.
#include <string>

#include "comm/communicator.h"
#include "config/config.h"
#include "models/model.h"
#include "train/task.h"

namespace dpt::train {

struct EvalResult {
  double loss = 0;        // mean cross-entropy per item over the split
  double accuracy = 0;    // fraction of items whose arg-max prediction is right
  int64_t samples = 0;    // samples counted (= the split's size)
  int64_t items = 0;      // classify: = samples; mlm: masked tokens predicted
  double perplexity = 0;  // mlm: exp(loss); 0 for classify
};

// Collective. One pass over the split `dir` in file order with eval.micro_batch samples per
// rank per step; the last global batch is padded and the padding masked (Note [Global
// batches]), and the sums are all-reduced, so the result does not depend on the world size.
// For mlm the masked positions are those of epoch 0 (Note [Deterministic masking]): the same
// at every evaluation.
EvalResult evaluate(models::Model& model, const Task& task, const std::string& dir, const config::Config& config,
                    comm::Communicator& comm, const at::Device& device);

}  // namespace dpt::train
