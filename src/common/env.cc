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
      {kDebugCollectives, "'1' checks before every collective that all ranks issue the same one (as "
                          "comm.check_collectives=true)"},
      {kCommFault, "test only: kill:<rank>:<step> makes that rank SIGKILL itself at its first collective of a step"},
      {kTrainFault, "test only: nan|inf|stall|kill:<rank>:<step> poisons that rank's input with NaN/Inf, stalls it "
                    "or kills it inside a training step"},
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
  return parse_int(name, v);
}

int64_t parse_int(const char* name, const std::string& text) {
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  DPT_CHECK(!text.empty() && *end == '\0', ConfigError,
            "environment variable " << name << ": '" << text << "' is not an integer");
  return value;
}

std::vector<std::string> get_fields(const char* name, char sep) {
  const std::string text = get_string(name, "");
  std::vector<std::string> parts;
  if (text.empty()) return parts;
  size_t pos = 0;
  for (size_t next; (next = text.find(sep, pos)) != std::string::npos; pos = next + 1) {
    parts.push_back(text.substr(pos, next - pos));
  }
  parts.push_back(text.substr(pos));
  return parts;
}

}  // namespace dpt::env
