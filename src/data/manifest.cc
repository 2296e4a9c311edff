#include "data/manifest.h"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "common/error.h"

namespace dpt::data {
namespace {

// Typed access to a JSON object with errors that name the file and the key path.
class Fields {
 public:
  Fields(const Json& object, std::string path, const std::string& source)
      : object_(object), path_(std::move(path)), source_(source) {
    DPT_CHECK(object.kind() == Json::Kind::kObject, DataError,
              source_ << ": " << where() << " must be an object, found " << json_kind_name(object.kind()));
  }

  const Json& get(const std::string& key, Json::Kind kind) const {
    const Json* value = object_.find(key);
    DPT_CHECK(value != nullptr, DataError, source_ << ": missing key '" << name(key) << "'");
    const bool ok = value->kind() == kind || (kind == Json::Kind::kDouble && value->is_number());
    DPT_CHECK(ok, DataError, source_ << ": '" << name(key) << "' must be " << json_kind_name(kind)
                                     << ", found " << json_kind_name(value->kind()));
    return *value;
  }
  bool has(const std::string& key) const { return object_.find(key) != nullptr; }

  int64_t get_int(const std::string& key, int64_t min) const {
    const int64_t v = get(key, Json::Kind::kInt).as_int();
    DPT_CHECK(v >= min, DataError, source_ << ": '" << name(key) << "' is " << v << ", must be >= " << min);
    return v;
  }
  const std::string& get_string(const std::string& key) const { return get(key, Json::Kind::kString).as_string(); }
  std::string name(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

 private:
  std::string where() const { return path_.empty() ? "the top level" : "'" + path_ + "'"; }
  const Json& object_;
  std::string path_;
  const std::string& source_;
};

FieldRole parse_role(const std::string& text, const std::string& where) {
  for (FieldRole r : {FieldRole::kImage, FieldRole::kLabel, FieldRole::kValue}) {
    if (text == field_role_name(r)) return r;
  }
  DPT_THROW(DataError, where << ": unknown role '" << text << "' (known: image, label, value)");
}

FieldSpec field_from_json(const Json& json, const std::string& path, const std::string& source) {
  Fields f(json, path, source);
  FieldSpec field;
  field.name = f.get_string("name");
  field.dtype = parse_dtype(f.get_string("dtype"), source + ": '" + f.name("dtype") + "'");
  for (const Json& d : f.get("shape", Json::Kind::kArray).as_array()) {
    DPT_CHECK(d.kind() == Json::Kind::kInt, DataError, source << ": '" << f.name("shape") << "' must list integers");
    field.shape.push_back(d.as_int());
  }
  field.role = f.has("role") ? parse_role(f.get_string("role"), source + ": '" + f.name("role") + "'")
                             : FieldRole::kValue;
  if (f.has("num_classes")) field.num_classes = f.get_int("num_classes", 1);
  if (f.has("mean")) field.mean = f.get("mean", Json::Kind::kDouble).as_double();
  if (f.has("std")) field.std = f.get("std", Json::Kind::kDouble).as_double();
  return field;
}

Json field_to_json(const FieldSpec& field) {
  Json j = Json::object();
  j.set("name", field.name);
  j.set("dtype", dtype_name(field.dtype));
  Json shape = Json::array();
  for (int64_t d : field.shape) shape.push_back(d);
  j.set("shape", shape);
  j.set("role", field_role_name(field.role));
  if (field.role == FieldRole::kLabel) j.set("num_classes", field.num_classes);
  if (field.role == FieldRole::kImage && field.std > 0) {
    j.set("mean", field.mean);
    j.set("std", field.std);
  }
  return j;
}

void check_field(const FieldSpec& field, const std::string& where) {
  DPT_CHECK(!field.name.empty() && field.name.find('/') == std::string::npos, DataError,
            where << ": field name '" << field.name << "' must be non-empty and contain no '/'");
  for (int64_t d : field.shape) {
    DPT_CHECK(d >= 1, DataError, where << ": field '" << field.name << "' has a shape entry " << d << " < 1");
  }
  if (field.role == FieldRole::kImage) {
    DPT_CHECK(field.dtype == DType::kUInt8, DataError,
              where << ": image field '" << field.name << "' must be uint8, not " << dtype_name(field.dtype));
  }
  if (field.role == FieldRole::kLabel) {
    DPT_CHECK(dtype_is_integer(field.dtype) && field.shape.empty(), DataError,
              where << ": label field '" << field.name << "' must be one integer per sample (shape [])");
    DPT_CHECK(field.num_classes >= 1, DataError,
              where << ": label field '" << field.name << "' needs num_classes >= 1");
  }
}

Json text_to_json(const TextInfo& t) {
  Json j = Json::object();
  j.set("vocab_path", t.vocab_path);
  j.set("vocab_hash", t.vocab_hash);
  j.set("vocab_size", t.vocab_size);
  j.set("lower_case", t.lower_case);
  j.set("strip_accents", t.strip_accents);
  j.set("max_len", t.max_len);
  j.set("packed", t.packed);
  j.set("pad_id", t.pad_id);
  j.set("unk_id", t.unk_id);
  j.set("cls_id", t.cls_id);
  j.set("sep_id", t.sep_id);
  j.set("mask_id", t.mask_id);
  return j;
}

TextInfo text_from_json(const Json& json, const std::string& source) {
  Fields f(json, "text", source);
  TextInfo t;
  t.vocab_path = f.get_string("vocab_path");
  t.vocab_hash = f.get_string("vocab_hash");
  t.vocab_size = f.get_int("vocab_size", 1);
  t.lower_case = f.get("lower_case", Json::Kind::kBool).as_bool();
  t.strip_accents = f.get("strip_accents", Json::Kind::kBool).as_bool();
  t.max_len = f.get_int("max_len", 1);
  t.packed = f.get("packed", Json::Kind::kBool).as_bool();
  t.pad_id = f.get_int("pad_id", -1);
  t.unk_id = f.get_int("unk_id", -1);
  t.cls_id = f.get_int("cls_id", -1);
  t.sep_id = f.get_int("sep_id", -1);
  t.mask_id = f.get_int("mask_id", -1);
  return t;
}

void check_text(const Manifest& m, const std::string& source) {
  const TextInfo& t = *m.text;
  for (const char* name : {"input_ids", "attention_mask"}) {
    const FieldSpec* f = m.find_field(name);
    DPT_CHECK(f != nullptr && f->shape == std::vector<int64_t>{t.max_len}, DataError,
              source << ": a text split needs the field '" << name << "' of shape [" << t.max_len << "] (text.max_len)");
  }
  for (int64_t id : {t.pad_id, t.unk_id, t.cls_id, t.sep_id, t.mask_id}) {
    DPT_CHECK(id >= -1 && id < t.vocab_size, DataError,
              source << ": special-token id " << id << " lies outside the vocabulary of " << t.vocab_size << " tokens");
  }
  DPT_CHECK(t.pad_id >= 0 && t.cls_id >= 0 && t.sep_id >= 0, DataError,
            source << ": text.pad_id, cls_id and sep_id must be set (>= 0)");
}

}  // namespace

const char* field_role_name(FieldRole role) {
  switch (role) {
    case FieldRole::kImage: return "image";
    case FieldRole::kLabel: return "label";
    case FieldRole::kValue: return "value";
  }
  return "?";
}

int64_t FieldSpec::sample_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

int64_t FieldSpec::sample_bytes() const {
  return sample_elements() * static_cast<int64_t>(dtype_size(dtype));
}

const FieldSpec* Manifest::find_field(const std::string& name) const {
  for (const auto& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const FieldSpec* Manifest::label_field() const {
  for (const auto& f : fields) {
    if (f.role == FieldRole::kLabel) return &f;
  }
  return nullptr;
}

int64_t Manifest::sample_bytes() const {
  int64_t n = 0;
  for (const auto& f : fields) n += f.sample_bytes();
  return n;
}

int64_t Manifest::total_bytes() const {
  int64_t n = 0;
  for (const auto& s : shards) n += s.bytes;
  return n;
}

std::vector<int64_t> Manifest::shard_sizes() const {
  std::vector<int64_t> sizes;
  for (const auto& s : shards) sizes.push_back(s.samples);
  return sizes;
}

std::string shard_file_name(int64_t index) {
  char name[32];
  std::snprintf(name, sizeof name, "shard-%05lld.h5", static_cast<long long>(index));
  return name;
}

void check_manifest(const Manifest& m, const std::string& source) {
  DPT_CHECK(m.format_version == kFormatVersion, DataError,
            source << ": format_version " << m.format_version << " is not supported (this dptrain reads "
                   << kFormatVersion << "); re-run 'dptrain prepare' with this dptrain");
  DPT_CHECK(!m.fields.empty(), DataError, source << ": no fields");
  std::set<std::string> names;
  int labels = 0;
  for (const auto& f : m.fields) {
    check_field(f, source);
    DPT_CHECK(names.insert(f.name).second, DataError, source << ": field '" << f.name << "' is listed twice");
    labels += f.role == FieldRole::kLabel ? 1 : 0;
  }
  DPT_CHECK(labels <= 1, DataError, source << ": " << labels << " fields have role 'label'; at most one may");
  DPT_CHECK(!m.shards.empty(), DataError, source << ": no shards");
  std::set<std::string> files;
  int64_t sum = 0;
  for (const auto& s : m.shards) {
    DPT_CHECK(!s.file.empty() && s.file.find('/') == std::string::npos, DataError,
              source << ": shard file '" << s.file << "' must be a plain file name in the split directory");
    DPT_CHECK(files.insert(s.file).second, DataError, source << ": shard '" << s.file << "' is listed twice");
    DPT_CHECK(s.samples >= 1, DataError, source << ": shard '" << s.file << "' has " << s.samples << " samples");
    sum += s.samples;
  }
  DPT_CHECK(sum == m.total_samples, DataError,
            source << ": the shards hold " << sum << " samples but total_samples is " << m.total_samples);
  const FieldSpec* label = m.label_field();
  if (!m.class_names.empty()) {
    DPT_CHECK(label != nullptr && static_cast<int64_t>(m.class_names.size()) == label->num_classes, DataError,
              source << ": " << m.class_names.size() << " class_names but the label field has "
                     << (label ? label->num_classes : 0) << " classes");
  }
  if (m.text) check_text(m, source);
}

Json manifest_to_json(const Manifest& m) {
  Json j = Json::object();
  j.set("format", kFormatName);
  j.set("format_version", m.format_version);
  j.set("created_by", m.created_by);
  j.set("source", m.source);
  j.set("total_samples", m.total_samples);
  Json fields = Json::array();
  for (const auto& f : m.fields) fields.push_back(field_to_json(f));
  j.set("fields", fields);
  if (!m.class_names.empty()) {
    Json names = Json::array();
    for (const auto& n : m.class_names) names.push_back(n);
    j.set("class_names", names);
  }
  if (m.text) j.set("text", text_to_json(*m.text));
  Json shards = Json::array();
  for (const auto& s : m.shards) {
    Json e = Json::object();
    e.set("file", s.file);
    e.set("samples", s.samples);
    e.set("bytes", s.bytes);
    shards.push_back(e);
  }
  j.set("shards", shards);
  return j;
}

Manifest manifest_from_json(const Json& json, const std::string& source) {
  Fields top(json, "", source);
  DPT_CHECK(top.get_string("format") == kFormatName, DataError,
            source << ": 'format' is '" << top.get_string("format") << "', expected '" << kFormatName << "'");
  Manifest m;
  m.format_version = top.get_int("format_version", 1);
  if (top.has("created_by")) m.created_by = top.get_string("created_by");
  if (top.has("source")) m.source = top.get_string("source");
  m.total_samples = top.get_int("total_samples", 1);
  const auto& fields = top.get("fields", Json::Kind::kArray).as_array();
  for (size_t i = 0; i < fields.size(); ++i) {
    m.fields.push_back(field_from_json(fields[i], "fields[" + std::to_string(i) + "]", source));
  }
  if (top.has("class_names")) {
    for (const Json& n : top.get("class_names", Json::Kind::kArray).as_array()) {
      DPT_CHECK(n.kind() == Json::Kind::kString, DataError, source << ": 'class_names' must list strings");
      m.class_names.push_back(n.as_string());
    }
  }
  if (top.has("text")) m.text = text_from_json(top.get("text", Json::Kind::kObject), source);
  const auto& shards = top.get("shards", Json::Kind::kArray).as_array();
  for (size_t i = 0; i < shards.size(); ++i) {
    Fields s(shards[i], "shards[" + std::to_string(i) + "]", source);
    m.shards.push_back({s.get_string("file"), s.get_int("samples", 1), s.get_int("bytes", 0)});
  }
  check_manifest(m, source);
  return m;
}

void check_same_vocab(const TextInfo& text, const std::string& split, const std::string& what,
                      const std::string& path, const std::string& hash, const std::string& fix) {
  DPT_CHECK(hash.empty() || text.vocab_hash.empty() || hash == text.vocab_hash, DataError,
            what << " " << path << " (" << hash << "), but the split " << split << " was tokenized with "
                 << text.vocab_path << " (" << text.vocab_hash << "): the same token id means a different token "
                 "there. " << fix);
}

Manifest read_manifest(const std::string& dir) {
  struct stat st {};
  DPT_CHECK(::stat(dir.c_str(), &st) == 0, DataError,
            "dataset directory '" << dir << "' does not exist; create it with 'dptrain prepare' or fix the path "
                                  "(data.train / data.test)");
  DPT_CHECK(S_ISDIR(st.st_mode), DataError,
            "'" << dir << "' is not a directory; a dataset split is a directory holding manifest.json and shards");
  const std::string path = dir + "/" + kManifestFile;
  std::ifstream file(path, std::ios::binary);
  DPT_CHECK(file.good(), DataError,
            "no " << kManifestFile << " in '" << dir << "': not a dptrain dataset, or its 'dptrain prepare' "
                  "did not finish; re-run 'dptrain prepare'");
  std::ostringstream text;
  text << file.rdbuf();
  return manifest_from_json(parse_json(text.str(), path), path);
}

void write_manifest(const Manifest& manifest, const std::string& dir) {
  check_manifest(manifest, "manifest being written to " + dir);
  const std::string path = dir + "/" + kManifestFile;
  const std::string tmp = path + ".tmp";
  {
    std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
    file << manifest_to_json(manifest).dump();
    file.flush();
    DPT_CHECK(file.good(), DataError, "cannot write '" << tmp << "' (disk full or no permission?)");
  }
  DPT_CHECK(std::rename(tmp.c_str(), path.c_str()) == 0, DataError,
            "cannot rename '" << tmp << "' to '" << path << "'");
}

}  // namespace dpt::data
