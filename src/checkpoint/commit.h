#pragma once
// Note [Checkpoint commit]
// A checkpoint becomes visible only when it is complete and durable:
//   1. all ranks write step_N.h5.tmp collectively (writer.h) and close it;
//   2. every rank fsyncs the file (on a parallel file system each client flushes its own
//      writes; on a local one the later calls find nothing left to flush);
//   3. rank 0 renames it to step_N.h5 (atomic in the directory),
//   4. rewrites `latest` (the file name, one line) through latest.tmp + rename,
//   5. fsyncs the directory so both renames survive a power loss,
//   6. and prunes old checkpoints (retention: the last `keep` and every `keep_every`-th step,
//      never the one `latest` names).
// A crash at any point leaves either the previous state (latest → the previous, complete
// checkpoint; a stray .tmp that readers ignore and the next writer removes) or the new one.
// Readers trust only files without .tmp whose manifest and checksums verify (reader.h).
//
// The functions here are the file-system steps; run on one rank unless noted. Each throws
// CheckpointError naming the path and the system's reason.
#include <cstdint>
#include <string>
#include <vector>

namespace dpt::checkpoint {

// Flushes the file at `path` to stable storage (open + fsync + close).
void fsync_file(const std::string& path);
// Flushes the directory `dir` (its entries: renames, new and removed files).
void fsync_directory(const std::string& dir);
// Atomically renames `from` to `to`.
void rename_file(const std::string& from, const std::string& to);

// The name `latest` in `dir` holds, or "" when there is none.
std::string read_latest(const std::string& dir);
// Atomically replaces `dir`/latest with `name` (steps 4 of the note; fsync of the temp file
// included, of the directory not).
void write_latest(const std::string& dir, const std::string& name);

// Steps of the committed checkpoints (step_N.h5, no .tmp) in `dir`, ascending.
std::vector<int64_t> committed_steps(const std::string& dir);
// Which of `steps` (ascending) retention removes: all but the newest `keep` (0 = keep all),
// the multiples of `keep_every` (when > 0) and `protect`.
std::vector<int64_t> steps_to_remove(const std::vector<int64_t>& steps, int64_t keep, int64_t keep_every,
                                     int64_t protect);
// Removes step_*.h5.tmp and latest.tmp left in `dir` by an interrupted writer.
void remove_temporaries(const std::string& dir);

}  // namespace dpt::checkpoint
