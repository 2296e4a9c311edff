#include "config/schema.h"

namespace dpt::config {

const std::vector<Section>& sections() {
  static const std::vector<Section> list = {
      {"run", "process layout and run directory"},
      {"comm", "gradient communication"},
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
