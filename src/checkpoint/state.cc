#include "checkpoint/state.h"

#include <cstdio>
#include <functional>
#include <numeric>

#include "checkpoint/layout.h"
#include "common/error.h"

namespace dpt::checkpoint {

int64_t TensorInfo::numel() const {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>());
}

const TensorInfo* Manifest::find(const std::string& name) const {
  for (const auto& t : tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

int64_t Manifest::total_bytes() const {
  int64_t sum = 0;
  for (const auto& t : tensors) sum += t.bytes;
  return sum;
}

data::Json to_json(const Manifest& m) {
  data::Json tensors = data::Json::array();
  for (const auto& t : m.tensors) {
    data::Json shape = data::Json::array();
    for (int64_t d : t.shape) shape.push_back(d);
    data::Json entry = data::Json::object();
    entry.set("name", t.name);
    entry.set("dtype", dtype_name(t.dtype));
    entry.set("shape", shape);
    entry.set("bytes", t.bytes);
    entry.set("crc32", static_cast<int64_t>(t.crc32));
    if (t.owner >= 0) entry.set("owner", t.owner);
    tensors.push_back(entry);
  }
  data::Json out = data::Json::object();
  out.set("format", "dptrain-checkpoint");
  out.set("format_version", m.format_version);
  out.set("world_size", m.world_size);
  out.set("step", m.step);
  out.set("dptrain_version", m.dptrain_version);
  out.set("tensors", tensors);
  out.set("extra", m.extra);
  return out;
}

namespace {

const data::Json& member(const data::Json& object, const char* key, data::Json::Kind kind, const std::string& where) {
  const data::Json* value = object.kind() == data::Json::Kind::kObject ? object.find(key) : nullptr;
  DPT_CHECK(value != nullptr && (value->kind() == kind || (kind == data::Json::Kind::kDouble && value->is_number())),
            CheckpointError, where << ": the manifest lacks '" << key << "' (or it has the wrong type); the file is "
                                   "damaged or was not written by dptrain");
  return *value;
}

TensorInfo tensor_from_json(const data::Json& json, const std::string& where) {
  using K = data::Json::Kind;
  TensorInfo t;
  t.name = member(json, "name", K::kString, where).as_string();
  t.dtype = dtype_from_name(member(json, "dtype", K::kString, where).as_string());
  for (const auto& d : member(json, "shape", K::kArray, where).as_array()) {
    DPT_CHECK(d.kind() == K::kInt && d.as_int() >= 0, CheckpointError, where << ": bad shape of " << t.name);
    t.shape.push_back(d.as_int());
  }
  t.bytes = member(json, "bytes", K::kInt, where).as_int();
  t.crc32 = static_cast<uint32_t>(member(json, "crc32", K::kInt, where).as_int());
  if (const data::Json* owner = json.find("owner")) t.owner = static_cast<int>(owner->as_int());
  return t;
}

}  // namespace

Manifest parse_manifest(const data::Json& json, const std::string& where) {
  using K = data::Json::Kind;
  DPT_CHECK(member(json, "format", K::kString, where).as_string() == "dptrain-checkpoint", CheckpointError,
            where << " is not a dptrain checkpoint");
  Manifest m;
  m.format_version = member(json, "format_version", K::kInt, where).as_int();
  DPT_CHECK(m.format_version == kFormatVersion, CheckpointError,
            where << " has checkpoint format version " << m.format_version << "; this dptrain reads version "
                  << kFormatVersion << " only (use the dptrain that wrote it)");
  m.world_size = member(json, "world_size", K::kInt, where).as_int();
  m.step = member(json, "step", K::kInt, where).as_int();
  m.dptrain_version = member(json, "dptrain_version", K::kString, where).as_string();
  for (const auto& t : member(json, "tensors", K::kArray, where).as_array()) {
    m.tensors.push_back(tensor_from_json(t, where));
  }
  m.extra = member(json, "extra", K::kObject, where);
  return m;
}

std::string step_file_name(int64_t step) {
  char name[64];
  std::snprintf(name, sizeof name, "step_%08lld.h5", static_cast<long long>(step));
  return name;
}

std::string rank_state_name(int rank) { return "rng/rank_" + std::to_string(rank); }

const char* dptrain_version() { return DPT_VERSION; }

}  // namespace dpt::checkpoint
