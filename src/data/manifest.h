#pragma once
// manifest.json: the description of one dataset split directory (docs/data.md has the format).
//
//   <split>/manifest.json
//   <split>/shard-00000.h5 ... shard-NNNNN.h5
//
// The manifest lists the fields (one HDF5 dataset per field in every shard, first axis =
// sample), the shards in file order with their sample counts and byte sizes, and the total.
// The sample order (data/sample_plan.h) is defined on the shards in the manifest's order.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/dtype.h"
#include "data/json.h"

namespace dpt::data {

inline constexpr int64_t kFormatVersion = 1;
inline constexpr const char* kFormatName = "dptrain-dataset";
inline constexpr const char* kManifestFile = "manifest.json";

// What the loader does with a field when it builds a batch.
enum class FieldRole {
  kImage,  // uint8 pixels -> float32 (x/255 - mean)/std
  kLabel,  // integer class ids -> int64, checked against [0, num_classes)
  kValue,  // passed through: integers -> int64, float32 stays float32
};
const char* field_role_name(FieldRole role);  // "image", "label", "value"

struct FieldSpec {
  std::string name;            // HDF5 dataset name in each shard, without the leading '/'
  DType dtype = DType::kUInt8;
  std::vector<int64_t> shape;  // per sample; empty for a scalar per sample
  FieldRole role = FieldRole::kValue;
  int64_t num_classes = 0;     // labels: every value lies in [0, num_classes)
  double mean = 0.0, std = 0.0;  // images: pixel mean/std of the split on the [0,1] scale (informational; 0 = unknown)

  int64_t sample_elements() const;  // product of shape (1 for a scalar)
  int64_t sample_bytes() const;
};

struct ShardInfo {
  std::string file;  // file name inside the split directory, e.g. "shard-00003.h5"
  int64_t samples = 0;
  int64_t bytes = 0;  // file size, checked at open (a cheap truncation test)
};

// How a text split was tokenized (`dptrain prepare text`, docs/text.md), so that training and
// `dptrain explain` can check they use the same vocabulary. Special-token ids are -1 where the
// vocabulary lacks one.
struct TextInfo {
  std::string vocab_path;  // as given to prepare
  std::string vocab_hash;  // "fnv1a64:<16 hex digits>" of the vocab file's bytes
  int64_t vocab_size = 0;
  bool lower_case = true, strip_accents = true;
  int64_t max_len = 0;  // = the shape of input_ids / attention_mask
  bool packed = false;  // Note [Packing] in text/text_dataset.h
  int64_t pad_id = -1, unk_id = -1, cls_id = -1, sep_id = -1, mask_id = -1;
};

struct Manifest {
  int64_t format_version = kFormatVersion;
  std::string created_by;  // "dptrain 0.1.0 prepare idx"
  std::string source;      // free text: where the data came from
  std::vector<FieldSpec> fields;
  std::vector<ShardInfo> shards;
  int64_t total_samples = 0;
  std::vector<std::string> class_names;  // optional; when present, one per label class
  std::optional<TextInfo> text;          // text splits only

  // The field named `name`, or nullptr.
  const FieldSpec* find_field(const std::string& name) const;
  // The one field with role kLabel, or nullptr.
  const FieldSpec* label_field() const;
  int64_t sample_bytes() const;  // all fields of one sample
  int64_t total_bytes() const;   // sum of the shard file sizes
  std::vector<int64_t> shard_sizes() const;
};

// "shard-00007.h5".
std::string shard_file_name(int64_t index);

// Checks the manifest's internal consistency (version, fields, shards, totals, class names).
// Throws DataError "<source>: <what>" naming the offending entry.
void check_manifest(const Manifest& manifest, const std::string& source);

Json manifest_to_json(const Manifest& manifest);
// Reads and checks a manifest from its JSON. `source` names it in errors (the file path).
Manifest manifest_from_json(const Json& json, const std::string& source);

// Note [Vocabulary identity]: a token id means a token only together with its vocabulary, which
// TextInfo::vocab_hash identifies. Wherever ids of two origins meet (the vocabulary `dptrain
// explain` tokenizes with and the checkpoint's training split, the training and test splits of
// a run, a checkpoint and the split it is fine-tuned or evaluated on) the hashes must be equal;
// the same size is not enough. An empty hash (nothing recorded) is not checked.
// Throws DataError "<what> <path> (<hash>), but the split <split> was tokenized with <its
// vocab_path> (<its vocab_hash>): the same token id means a different token there. <fix>"
// unless `hash` is empty or equals `text.vocab_hash`.
void check_same_vocab(const TextInfo& text, const std::string& split, const std::string& what,
                      const std::string& path, const std::string& hash, const std::string& fix);

// Reads <dir>/manifest.json. Throws DataError for a missing directory, a missing or malformed
// manifest, with what to do about it.
Manifest read_manifest(const std::string& dir);
// Writes <dir>/manifest.json (through a temporary file and a rename).
void write_manifest(const Manifest& manifest, const std::string& dir);

}  // namespace dpt::data
