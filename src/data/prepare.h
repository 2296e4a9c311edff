#pragma once
// Converters from raw data to dataset splits (the format of data/manifest.h).
//
// Note [Prepare is all or nothing]
// A split is written into the sibling directory "<out>.partial-<pid>" and renamed to <out>
// only when every shard and the manifest are complete, so an interrupted or failed prepare
// leaves nothing that looks like a dataset (a failed one removes its partial directory; a
// killed one leaves "<out>.partial-<pid>", which no dptrain command reads).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/manifest.h"
#include "data/shard.h"

namespace dpt::data {

struct SplitWriteOptions {
  int64_t shards = 0;      // number of shards; 0 = from shard_mb
  double shard_mb = 16.0;  // target MiB of sample data per shard when shards == 0
  bool overwrite = false;  // replace an existing <out>
  ShardWriteOptions shard;
  std::string created_by;  // recorded in the manifest
};

// In-memory columns of a split: columns[i] holds samples × fields[i].sample_bytes() bytes.
struct SplitSource {
  std::vector<FieldSpec> fields;
  std::vector<const uint8_t*> columns;
  int64_t samples = 0;
  std::vector<std::string> class_names;
  std::string source;  // provenance text for the manifest
  std::optional<TextInfo> text;  // text splits: how they were tokenized
};

// Sample counts of `shards` nearly equal shards (the first ones one larger when uneven).
std::vector<int64_t> split_evenly(int64_t samples, int64_t shards);

// Writes `source` as the split directory `out` (Note [Prepare is all or nothing]). Creates the
// parent directories. Throws DataError when `out` exists and !overwrite, before any work.
Manifest write_split(const SplitSource& source, const std::string& out, const SplitWriteOptions& options);

struct PrepareIdxOptions {
  std::string images, labels, out;
  std::vector<std::string> class_names;  // optional; sets num_classes
  int64_t num_classes = 0;               // 0 = from class_names, else max label + 1
  SplitWriteOptions write;
};

// `dptrain prepare idx`: IDX images [N, H, W] (uint8) + labels [N] -> fields "x" (uint8
// [H, W], role image, with the split's pixel mean/std) and "y" (uint8, role label).
// Throws DataError for unreadable inputs, count mismatches and labels >= num_classes.
Manifest prepare_idx(const PrepareIdxOptions& options);

}  // namespace dpt::data
