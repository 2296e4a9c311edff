#pragma once
// The measurements behind `dptrain bench loader`: the loader over one epoch, and a plain
// read() of the same shard files for reference. No MPI here; the command synchronizes ranks.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/loader.h"

namespace dpt::data {

// The shard files of the split at `dir`, from its manifest.
std::vector<std::string> shard_paths(const std::string& dir);

// Reads every file to its end with read() into one reused buffer of `buffer_bytes`; returns
// the bytes read. Throws DataError when a file cannot be read.
int64_t read_files_raw(const std::vector<std::string>& paths, size_t buffer_bytes);

struct LoaderPass {
  int64_t epoch = 0;
  double seconds = 0;         // from the call to the last micro-batch of the epoch
  int64_t samples = 0;        // real samples delivered to this rank
  int64_t epoch_bytes = 0;    // bytes (all fields) of every sample of the epoch, over all ranks
  LoaderStats stats;          // the loader's counters for this epoch
};

// Consumes `loader`'s micro-batches up to the last one of the current epoch, calling `each`
// (when given) on every one inside the timed part. Throws DataError when the loader ends first.
LoaderPass consume_epoch(Loader& loader, const std::function<void(const Batch&)>& each = {});

}  // namespace dpt::data
