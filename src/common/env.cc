#include "common/env.h"

#include <cstdlib>

#include "common/error.h"

namespace dpt::env {

const std::vector<Variable>& all() {
  static const std::vector<Variable> table = {
      {kLogLevel, "log threshold: debug|info|warn|error (default info)"},
      {kLogRanks, "'all' makes every rank print info lines (default: rank 0 only)"},
      {kSkipLauncherCheck, "'1' skips the check that the MPI world matches the launcher's task count"},
      {kMpiMaxChunkBytes, "largest message handed to one MPI call by the MPI backend (default 1073741824)"},
      {kDataNoMmap, "'1' makes the data loader read shards through H5Dread instead of mapping uncompressed ones"},
      {kCheckpointFault, "test only: <stage>:<action>[:<rank>[:<step>]] makes the checkpoint writer kill, pause or "
                         "throw at create|tensors|close|fsync|rename|latest"},
  };
  return table;
}

std::string get_string(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return (v == nullptr || *v == '\0') ? fallback : std::string(v);
}

int64_t get_int(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  const long long value = std::strtoll(v, &end, 10);
  DPT_CHECK(end != v && *end == '\0', ConfigError,
            "environment variable " << name << "='" << v << "' is not an integer");
  return value;
}

}  // namespace dpt::env
