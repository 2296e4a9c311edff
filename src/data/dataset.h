#pragma once
// An open dataset split (the manifest and every shard, checked against it), and the full
// check that `dptrain inspect` runs.
#include <memory>
#include <string>
#include <vector>

#include "data/manifest.h"
#include "data/shard.h"

namespace dpt::data {

class Dataset {
 public:
  // Reads <dir>/manifest.json and opens every shard, checking each against the manifest
  // (ShardFile). Throws DataError on the first problem, naming it and what to do.
  explicit Dataset(const std::string& dir);

  const std::string& dir() const { return dir_; }
  const Manifest& manifest() const { return manifest_; }
  size_t num_shards() const { return shards_.size(); }
  ShardFile& shard(size_t index) { return *shards_.at(index); }

 private:
  std::string dir_;
  Manifest manifest_;
  std::vector<std::unique_ptr<ShardFile>> shards_;
};

struct DatasetCheck {
  bool manifest_ok = false;       // manifest.json was read and is consistent
  Manifest manifest;              // valid when manifest_ok
  std::vector<std::string> problems;  // every problem found, one line each; empty = valid
};

// Checks a split without stopping at the first problem: the manifest, then every shard
// (present, size, HDF5, fields, dtypes, shapes, counts), then every label against
// [0, num_classes) and, in text splits, every token (check_shard_tokens). Never throws
// DataError; problems are collected.
DatasetCheck check_dataset(const std::string& dir);

// Reads every value of the label field of shard `index` and returns one problem line per
// shard with out-of-range labels (the first bad row and how many), or an empty string.
std::string check_shard_labels(Dataset& dataset, size_t index);
// For a text split (manifest.text): every token id in [0, vocab_size), every attention mask
// 1s then 0s, [PAD] under the 0s. "" when so, else one line naming the shard and first bad row.
std::string check_shard_tokens(Dataset& dataset, size_t index);

}  // namespace dpt::data
