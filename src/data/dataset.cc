#include "data/dataset.h"

#include <cstring>

#include "common/error.h"
#include "data/collate.h"

namespace dpt::data {

Dataset::Dataset(const std::string& dir) : dir_(dir), manifest_(read_manifest(dir)) {
  for (const ShardInfo& info : manifest_.shards) {
    shards_.push_back(std::make_unique<ShardFile>(dir_, info, manifest_.fields));
  }
}

std::string check_shard_labels(Dataset& dataset, size_t index) {
  const Manifest& m = dataset.manifest();
  const FieldSpec* label = m.label_field();
  if (label == nullptr) return "";
  const size_t field = static_cast<size_t>(label - m.fields.data());
  ShardFile& shard = dataset.shard(index);
  std::vector<unsigned char> raw(static_cast<size_t>(shard.samples() * label->sample_bytes()));
  shard.read_rows(field, 0, shard.samples(), raw.data());
  int64_t bad = 0, first_row = -1, first_value = 0;
  for (int64_t row = 0; row < shard.samples(); ++row) {
    const int64_t value = load_label(label->dtype, raw.data(), row);
    if (value >= 0 && value < label->num_classes) continue;
    if (bad++ == 0) {
      first_row = row;
      first_value = value;
    }
  }
  if (bad == 0) return "";
  return label_range_message(first_value, *label, shard.path(), first_row) + " (" + std::to_string(bad) +
         " bad label(s) in this shard)";
}

DatasetCheck check_dataset(const std::string& dir) {
  DatasetCheck check;
  try {
    check.manifest = read_manifest(dir);
    check.manifest_ok = true;
  } catch (const DataError& e) {
    check.problems.push_back(e.what());
    return check;
  }
  // Open the shards one by one so that every broken one is reported, not only the first.
  bool all_open = true;
  for (const ShardInfo& info : check.manifest.shards) {
    try {
      ShardFile shard(dir, info, check.manifest.fields);
    } catch (const DataError& e) {
      check.problems.push_back(e.what());
      all_open = false;
    }
  }
  if (!all_open) return check;
  try {
    Dataset dataset(dir);
    for (size_t i = 0; i < dataset.num_shards(); ++i) {
      const std::string problem = check_shard_labels(dataset, i);
      if (!problem.empty()) check.problems.push_back(problem);
    }
  } catch (const DataError& e) {
    check.problems.push_back(e.what());
  }
  return check;
}

}  // namespace dpt::data
