#include "data/loader_bench.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "common/timer.h"

namespace dpt::data {

std::vector<std::string> shard_paths(const std::string& dir) {
  std::vector<std::string> paths;
  for (const ShardInfo& s : read_manifest(dir).shards) paths.push_back(dir + "/" + s.file);
  return paths;
}

int64_t read_files_raw(const std::vector<std::string>& paths, size_t buffer_bytes) {
  std::vector<char> buffer(buffer_bytes);
  int64_t total = 0;
  for (const std::string& path : paths) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    DPT_CHECK(fd >= 0, DataError, "cannot open '" << path << "': " << std::strerror(errno));
    ssize_t got = 0;
    while ((got = ::read(fd, buffer.data(), buffer.size())) > 0) total += got;
    const int err = errno;
    ::close(fd);
    DPT_CHECK(got == 0, DataError, "cannot read '" << path << "': " << std::strerror(err));
  }
  return total;
}

LoaderPass consume_epoch(Loader& loader, const std::function<void(const Batch&)>& each) {
  LoaderPass pass;
  const LoaderStats before = loader.stats();
  Stopwatch watch;
  while (true) {
    std::optional<Batch> batch = loader.next();
    DPT_CHECK(batch.has_value(), DataError, "the loader ended inside an epoch");
    pass.epoch = batch->epoch;
    pass.samples += batch->valid;
    if (each) each(*batch);
    if (batch->last_step && batch->last_micro_step) break;
  }
  pass.seconds = watch.seconds();
  pass.epoch_bytes = loader.steps_per_epoch() * loader.global_batch() * loader.manifest().sample_bytes();
  const LoaderStats after = loader.stats();
  pass.stats.hdf5_bytes = after.hdf5_bytes - before.hdf5_bytes;
  pass.stats.blocks_read = after.blocks_read - before.blocks_read;
  pass.stats.batches_built = after.batches_built - before.batches_built;
  pass.stats.read_seconds = after.read_seconds - before.read_seconds;
  pass.stats.collate_seconds = after.collate_seconds - before.collate_seconds;
  return pass;
}

}  // namespace dpt::data
