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

std::string check_shard_tokens(Dataset& dataset, size_t index) {
  const Manifest& m = dataset.manifest();
  if (!m.text) return "";
  const TextInfo& t = *m.text;
  ShardFile& shard = dataset.shard(index);
  const auto rows = static_cast<size_t>(shard.samples()), len = static_cast<size_t>(t.max_len);
  std::vector<int32_t> ids(rows * len);
  std::vector<uint8_t> mask(rows * len);
  shard.read_rows(static_cast<size_t>(m.find_field("input_ids") - m.fields.data()), 0, shard.samples(), ids.data());
  shard.read_rows(static_cast<size_t>(m.find_field("attention_mask") - m.fields.data()), 0, shard.samples(), mask.data());
  int64_t bad = 0, first_row = -1;
  std::string first;
  for (size_t r = 0; r < rows; ++r) {
    std::string what;
    for (size_t i = 0; i < len && what.empty(); ++i) {
      const int32_t id = ids[r * len + i];
      const uint8_t on = mask[r * len + i];
      if (id < 0 || id >= t.vocab_size) what = "token id " + std::to_string(id) + " outside the vocabulary of " + std::to_string(t.vocab_size);
      else if (on > 1 || (on == 1 && i > 0 && mask[r * len + i - 1] == 0)) what = "attention_mask is not 1s then 0s";
      else if (on == 0 && id != t.pad_id) what = "token id " + std::to_string(id) + " under a 0 of attention_mask, not [PAD]";
    }
    if (what.empty()) continue;
    if (bad++ == 0) first_row = static_cast<int64_t>(r), first = what;
  }
  if (bad == 0) return "";
  return "shard '" + shard.path() + "' row " + std::to_string(first_row) + ": " + first + " (" + std::to_string(bad) +
         " bad row(s) in this shard); re-run 'dptrain prepare text'";
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
      for (const std::string& problem : {check_shard_labels(dataset, i), check_shard_tokens(dataset, i)}) {
        if (!problem.empty()) check.problems.push_back(problem);
      }
    }
  } catch (const DataError& e) {
    check.problems.push_back(e.what());
  }
  return check;
}

}  // namespace dpt::data
