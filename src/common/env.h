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
// "1": check before every collective that all ranks issue the same one (as
// comm.check_collectives=true; comm/desync_check.h, Note [Desync check]).
inline constexpr const char* kDebugCollectives = "DPT_DEBUG_COLLECTIVES";
// Test only: kill:<rank>:<step> makes that rank SIGKILL itself as it issues its first collective
// of training step <step>, while its peers enter the same collective (comm/guarded_communicator.h).
inline constexpr const char* kCommFault = "DPT_COMM_FAULT";
// Test only: <action>:<rank>:<step> with action nan|inf (the rank's input batch of step <step>
// becomes NaN/Inf), stall (the rank sleeps inside that step until killed) or kill (SIGKILL
// itself inside that step) (train/fault.h, Note [Training fault injection]).
inline constexpr const char* kTrainFault = "DPT_TRAIN_FAULT";

// Every variable above with its meaning, for `dptrain help env`.
const std::vector<Variable>& all();

// Value of `name`, or `fallback` when unset or empty.
std::string get_string(const char* name, const std::string& fallback);
// Integer value of `name`, or `fallback` when unset; throws ConfigError when not a number.
int64_t get_int(const char* name, int64_t fallback);
// The value of `name` split at `sep` ("a:b:c" -> {"a","b","c"}); empty when unset or empty.
std::vector<std::string> get_fields(const char* name, char sep);
// `text` (a field of variable `name`) as an integer; throws ConfigError naming the variable.
int64_t parse_int(const char* name, const std::string& text);

}  // namespace dpt::env
