#include "data/inspect.h"

#include <cstdio>
#include <sstream>

namespace dpt::data {
namespace {

std::string mib(int64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

void describe_fields(std::ostream& out, const Manifest& m) {
  out << "fields:\n";
  for (const FieldSpec& f : m.fields) {
    char line[160];
    std::snprintf(line, sizeof line, "  %-12s %-8s %-12s %-6s", f.name.c_str(), dtype_name(f.dtype),
                  shape_text(f.shape).c_str(), field_role_name(f.role));
    out << line;
    if (f.role == FieldRole::kLabel) out << " " << f.num_classes << " classes";
    if (f.role == FieldRole::kImage && f.std > 0) {
      std::snprintf(line, sizeof line, " pixel mean %.4f, std %.4f (data.pixel_mean / data.pixel_std)", f.mean,
                    f.std);
      out << line;
    }
    out << "\n";
  }
  if (!m.class_names.empty()) {
    out << "classes:";
    for (size_t i = 0; i < m.class_names.size(); ++i) out << (i ? ", " : " ") << i << "=" << m.class_names[i];
    out << "\n";
  }
  if (m.text) {
    const TextInfo& t = *m.text;
    out << "text: max_len " << t.max_len << (t.packed ? ", packed" : ", one document per sample") << ", vocab "
        << t.vocab_path << " (" << t.vocab_size << " tokens, " << t.vocab_hash << ", "
        << (t.lower_case ? "lower-cased" : "cased") << (t.strip_accents ? ", accents stripped" : "") << ")\n";
    out << "special ids: [PAD]=" << t.pad_id << " [UNK]=" << t.unk_id << " [CLS]=" << t.cls_id
        << " [SEP]=" << t.sep_id << " [MASK]=" << t.mask_id << "\n";
  }
}

}  // namespace

std::string describe_dataset(const std::string& dir, const DatasetCheck& check) {
  std::ostringstream out;
  out << "dataset " << dir << "\n";
  if (check.manifest_ok) {
    const Manifest& m = check.manifest;
    out << "format: " << kFormatName << " v" << m.format_version;
    if (!m.created_by.empty()) out << ", created by " << m.created_by;
    out << "\n";
    if (!m.source.empty()) out << "source: " << m.source << "\n";
    out << "samples: " << m.total_samples << " in " << m.shards.size() << " shard(s), " << mib(m.total_bytes())
        << " on disk, " << m.sample_bytes() << " bytes per sample\n";
    describe_fields(out, m);
    out << "shards:\n";
    for (const ShardInfo& s : m.shards) {
      char line[160];
      std::snprintf(line, sizeof line, "  %-16s %10lld samples  %12s\n", s.file.c_str(),
                    static_cast<long long>(s.samples), mib(s.bytes).c_str());
      out << line;
    }
  }
  if (check.problems.empty()) {
    out << "check: OK (every shard present and readable; fields, dtypes, shapes, counts and labels match "
           "the manifest)\n";
  } else {
    out << "check: " << check.problems.size() << " problem(s)\n";
    for (const auto& p : check.problems) out << "  - " << p << "\n";
  }
  return out.str();
}

}  // namespace dpt::data
