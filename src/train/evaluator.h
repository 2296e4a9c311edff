#pragma once
// Evaluation over a whole split: every sample counted exactly once, on any number of ranks.
#include <string>

#include "comm/communicator.h"
#include "config/config.h"
#include "models/model.h"

namespace dpt::train {

struct EvalResult {
  double loss = 0;      // mean cross-entropy over the split
  double accuracy = 0;  // fraction of samples whose arg-max logit is the label
  int64_t samples = 0;  // samples counted (= the split's size)
};

// Collective. One pass over the split `dir` in file order with eval.micro_batch samples per
// rank per step; the last global batch is padded and the padding masked (Note [Global
// batches]), and the sums are all-reduced, so the result does not depend on the world size.
EvalResult evaluate(models::Model& model, const std::string& dir, const config::Config& config,
                    comm::Communicator& comm, const at::Device& device);

}  // namespace dpt::train
