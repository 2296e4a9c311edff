#pragma once
// The table of DPT_* environment variables: the one place that names them. Each entry says
// what it controls. `dptrain help env` prints this table.
#include <cstdint>
#include <string>
#include <vector>

namespace dpt::env {

struct Variable {
  const char* name;
  const char* meaning;
};

// Logging threshold: debug|info|warn|error (default info).
inline constexpr const char* kLogLevel = "DPT_LOG_LEVEL";
// "all": every rank prints info lines, not only rank 0.
inline constexpr const char* kLogRanks = "DPT_LOG_RANKS";
// "1": skip the launcher check (several tasks announced but a one-rank MPI world).
inline constexpr const char* kSkipLauncherCheck = "DPT_SKIP_LAUNCHER_CHECK";
// Largest message, in bytes, that the MPI backend hands to one MPI call (default 1 GiB);
// bigger tensors are split. Tests lower it to exercise the splitting on small tensors.
inline constexpr const char* kMpiMaxChunkBytes = "DPT_MPI_MAX_CHUNK_BYTES";
// "1": the data loader reads every shard through H5Dread instead of mapping uncompressed
// shards into memory (data/shard.h, Note [Mapped shards]). For debugging and tests.
inline constexpr const char* kDataNoMmap = "DPT_DATA_NO_MMAP";
// Test only: <stage>:<action>[:<rank>[:<step>]] makes the checkpoint writer die (kill), hang
// (pause) or fail (throw) at a named stage (checkpoint/fault.h, Note [Checkpoint fault injection]).
inline constexpr const char* kCheckpointFault = "DPT_CHECKPOINT_FAULT";

// Every variable above with its meaning, for `dptrain help env`.
const std::vector<Variable>& all();

// Value of `name`, or `fallback` when unset or empty.
std::string get_string(const char* name, const std::string& fallback);
// Integer value of `name`, or `fallback` when unset; throws ConfigError when not a number.
int64_t get_int(const char* name, int64_t fallback);

}  // namespace dpt::env
