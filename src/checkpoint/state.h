#pragma once
// What a checkpoint holds, independent of how the training code produced it. The train module
// fills a State from the model, optimizer, loader and counters (train/train_state.h); this
// module writes and reads it without knowing what the tensors mean.
//
// File layout (docs/checkpoint.md has the full table):
//   /<name>           one dataset per replicated tensor, name as given: model/fc0.weight,
//                     buffers/<name>, optimizer/<param>/<state>, data/epoch, trainer/step, ...
//   /rng/rank_<r>     rank r's own bytes (its CPU generator state), uint8
//   /meta             attributes format_version, world_size, step, dptrain_version,
//                     manifest_crc32; string datasets /meta/config (resolved INI) and
//                     /meta/manifest (JSON: every tensor's dtype, shape, bytes and CRC-32)
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "data/json.h"

namespace dpt::checkpoint {

inline constexpr int64_t kFormatVersion = 1;

struct TensorEntry {
  std::string name;  // path in the file without the leading '/', e.g. "model/fc0.weight"
  at::Tensor tensor;
};

// A tensor whose elements are split over the ranks by their owners (the ZeRO-1 optimizer state,
// ddp/sharded_optimizer.h): this rank holds the flat elements [begin, begin + piece.numel()) of
// a tensor of `shape`. The pieces of ranks 0, 1, ... must tile the tensor in rank order (a piece
// may be empty). It is stored like a replicated tensor, whole, so any number of ranks reads it
// back (Note [Checkpoint shares]).
struct ShardedEntry {
  std::string name;
  std::vector<int64_t> shape;
  int64_t begin = 0;
  at::Tensor piece;  // 1-D, contiguous, CPU; its dtype is the tensor's
};

struct State {
  int64_t step = 0;  // optimizer steps completed; names the file step_<step>.h5
  // Identical (names, shapes, dtypes and values) on every rank. CPU tensors.
  std::vector<TensorEntry> replicated;
  // Split over the ranks; the same names, shapes and dtypes on every rank.
  std::vector<ShardedEntry> sharded;
  // This rank's own state (1-D uint8, e.g. its RNG state); undefined when there is none.
  at::Tensor rank_state;
  std::string config_text;                     // the resolved configuration (INI)
  data::Json extra = data::Json::object();     // stored in the manifest under "extra"
};

// The description of one stored tensor.
struct TensorInfo {
  std::string name;
  at::ScalarType dtype = at::kFloat;
  std::vector<int64_t> shape;
  int64_t bytes = 0;
  uint32_t crc32 = 0;
  int owner = -1;  // -1: replicated; r: rank r's own state (rng/rank_<r>)
  int64_t numel() const;
};

struct Manifest {
  int64_t format_version = kFormatVersion;
  int64_t world_size = 0;
  int64_t step = 0;
  std::string dptrain_version;
  std::vector<TensorInfo> tensors;
  data::Json extra = data::Json::object();
  std::string config_text;  // not part of the JSON: stored as /meta/config

  const TensorInfo* find(const std::string& name) const;
  int64_t total_bytes() const;
};

// The manifest as JSON and back. parse_manifest throws CheckpointError naming `where`.
data::Json to_json(const Manifest& manifest);
Manifest parse_manifest(const data::Json& json, const std::string& where);

// "step_00000100.h5": the file name of the checkpoint after `step` steps.
std::string step_file_name(int64_t step);
// The dataset name of rank r's own state.
std::string rank_state_name(int rank);

// The dptrain version compiled into this library.
const char* dptrain_version();

}  // namespace dpt::checkpoint
