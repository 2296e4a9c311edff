#include "config/schema.h"

namespace dpt::config {

const std::vector<Section>& sections() {
  static const std::vector<Section> list = {
      {"run", "process layout and run directory"},
      {"comm", "gradient communication"},
      {"data", "datasets, sample order and loading"},
  };
  return list;
}

const std::vector<OptionSpec>& schema() {
  using T = Type;
  static const std::vector<OptionSpec> table = {
      // run
      {"run.name", T::kString, "default", "run name; outputs go to <run.dir>/<run.name>/"},
      {"run.dir", T::kString, "runs", "parent directory of run directories"},
      {"run.threads", T::kInt, "0",
       "intra-op threads per rank; 0 = cores on the node / ranks on the node", 0},
      {"run.launcher_check", T::kBool, "true",
       "fail when the launcher announces several tasks but MPI sees one rank"},
      // comm
      {"comm.backend", T::kString, "auto",
       "all-reduce backend: auto (nccl on GPUs, else mpi), mpi or nccl", -1e300, "auto|mpi|nccl"},
      // data
      {"data.train", T::kString, "", "training split directory (made by 'dptrain prepare')"},
      {"data.test", T::kString, "", "evaluation split directory (made by 'dptrain prepare')"},
      {"data.seed", T::kInt, "0", "seed of the sample order (with the epoch; same on every rank)", 0},
      {"data.shuffle", T::kBool, "true", "shuffle shards and samples each epoch; false = file order"},
      {"data.shuffle_block", T::kInt, "16384",
       "samples per shuffle block: read as whole contiguous rows, permuted in memory", 1},
      {"data.prefetch", T::kInt, "4", "micro-batches each rank's loader keeps ready ahead", 1},
      {"data.pixel_mean", T::kDouble, "0", "image fields become (x/255 - pixel_mean)/pixel_std"},
      {"data.pixel_std", T::kDouble, "1", "see data.pixel_mean; 'dptrain inspect' prints a split's values", 1e-6},
  };
  return table;
}

const OptionSpec* find_option(const std::string& name) {
  for (const auto& spec : schema()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

}  // namespace dpt::config
