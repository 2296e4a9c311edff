#include "data/prepare.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "common/error.h"
#include "data/idx.h"

namespace fs = std::filesystem;

namespace dpt::data {
namespace {

int64_t choose_shards(const SplitSource& source, const SplitWriteOptions& options) {
  int64_t sample_bytes = 0;
  for (const auto& f : source.fields) sample_bytes += f.sample_bytes();
  int64_t shards = options.shards;
  if (shards <= 0) {
    DPT_CHECK(options.shard_mb > 0, DataError, "--shard-mb must be > 0, got " << options.shard_mb);
    const double mib = static_cast<double>(source.samples * sample_bytes) / (1024.0 * 1024.0);
    shards = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(mib / options.shard_mb)));
  }
  DPT_CHECK(shards <= source.samples, DataError,
            "cannot split " << source.samples << " samples into " << shards << " shards; use fewer --shards");
  return shards;
}

// Writes the shards and the manifest into `dir`; returns the manifest.
Manifest write_into(const SplitSource& source, const std::string& dir, const SplitWriteOptions& options) {
  Manifest m;
  m.created_by = options.created_by;
  m.source = source.source;
  m.fields = source.fields;
  m.class_names = source.class_names;
  m.text = source.text;
  m.total_samples = source.samples;
  int64_t first = 0;
  const auto sizes = split_evenly(source.samples, choose_shards(source, options));
  for (size_t s = 0; s < sizes.size(); ++s) {
    std::vector<const void*> columns;
    for (size_t i = 0; i < source.fields.size(); ++i) {
      columns.push_back(source.columns[i] + first * source.fields[i].sample_bytes());
    }
    const std::string file = shard_file_name(static_cast<int64_t>(s));
    const int64_t bytes = write_shard(dir + "/" + file, source.fields, columns, sizes[s], options.shard);
    m.shards.push_back({file, sizes[s], bytes});
    first += sizes[s];
  }
  write_manifest(m, dir);
  return m;
}

// Moves the finished `tmp` to `out`, replacing an existing `out` only after `tmp` is complete.
void publish(const fs::path& tmp, const fs::path& out) {
  std::error_code ec;
  fs::path old;
  if (fs::exists(out)) {
    old = out.string() + ".old-" + std::to_string(::getpid());
    fs::rename(out, old, ec);
    DPT_CHECK(!ec, DataError, "cannot move the old '" << out.string() << "' aside: " << ec.message());
  }
  fs::rename(tmp, out, ec);
  DPT_CHECK(!ec, DataError, "cannot rename '" << tmp.string() << "' to '" << out.string() << "': " << ec.message());
  if (!old.empty()) fs::remove_all(old, ec);
}

// Pixel mean and standard deviation on the [0, 1] scale, from a histogram (exact, one pass).
void pixel_stats(const std::vector<uint8_t>& pixels, double* mean, double* stddev) {
  std::vector<int64_t> hist(256, 0);
  for (uint8_t p : pixels) ++hist[p];
  double sum = 0, sum_sq = 0;
  for (int v = 0; v < 256; ++v) {
    const double x = v / 255.0;
    sum += static_cast<double>(hist[static_cast<size_t>(v)]) * x;
    sum_sq += static_cast<double>(hist[static_cast<size_t>(v)]) * x * x;
  }
  const double n = static_cast<double>(std::max<size_t>(1, pixels.size()));
  *mean = sum / n;
  *stddev = std::sqrt(std::max(0.0, sum_sq / n - *mean * *mean));
}

int64_t resolve_num_classes(const PrepareIdxOptions& o, const IdxArray& labels) {
  int64_t max_label = 0;
  for (uint8_t v : labels.data) max_label = std::max<int64_t>(max_label, v);
  int64_t n = o.num_classes > 0 ? o.num_classes : static_cast<int64_t>(o.class_names.size());
  DPT_CHECK(o.class_names.empty() || o.num_classes <= 0 ||
                o.num_classes == static_cast<int64_t>(o.class_names.size()),
            DataError, "--num-classes " << o.num_classes << " but " << o.class_names.size() << " --class-names");
  if (n == 0) return max_label + 1;
  for (size_t i = 0; i < labels.data.size(); ++i) {
    DPT_CHECK(labels.data[i] < n, DataError,
              "labels file '" << o.labels << "' has label " << int{labels.data[i]} << " at item " << i
                              << " but the dataset has " << n << " classes; fix --class-names / --num-classes");
  }
  return n;
}

}  // namespace

std::vector<int64_t> split_evenly(int64_t samples, int64_t shards) {
  std::vector<int64_t> sizes(static_cast<size_t>(shards), samples / shards);
  for (int64_t i = 0; i < samples % shards; ++i) ++sizes[static_cast<size_t>(i)];
  return sizes;
}

Manifest write_split(const SplitSource& source, const std::string& out_text, const SplitWriteOptions& options) {
  DPT_CHECK(!out_text.empty(), DataError, "no output directory given (--out)");
  const fs::path out = fs::path(out_text).lexically_normal();
  const fs::path clean = out.has_filename() ? out : out.parent_path();
  DPT_CHECK(options.overwrite || !fs::exists(clean), DataError,
            "output '" << clean.string() << "' already exists; pass --overwrite to replace it or choose another --out");
  std::error_code ec;
  if (clean.has_parent_path()) fs::create_directories(clean.parent_path(), ec);
  const fs::path tmp = clean.string() + ".partial-" + std::to_string(::getpid());
  fs::remove_all(tmp, ec);
  DPT_CHECK(fs::create_directory(tmp, ec) && !ec, DataError,
            "cannot create '" << tmp.string() << "': " << ec.message() << "; check that the parent is writable");
  try {
    Manifest m = write_into(source, tmp.string(), options);
    publish(tmp, clean);
    return m;
  } catch (...) {
    fs::remove_all(tmp, ec);  // Note [Prepare is all or nothing]
    throw;
  }
}

Manifest prepare_idx(const PrepareIdxOptions& o) {
  DPT_CHECK(!o.images.empty() && !o.labels.empty(), DataError, "prepare idx needs --images and --labels");
  // Fail on an existing output before the (slow) reading.
  DPT_CHECK(o.write.overwrite || !fs::exists(fs::path(o.out).lexically_normal()), DataError,
            "output '" << o.out << "' already exists; pass --overwrite to replace it or choose another --out");
  const IdxArray images = read_idx(o.images);
  const IdxArray labels = read_idx(o.labels);
  DPT_CHECK(images.dims.size() >= 2, DataError,
            "images file '" << o.images << "' has " << images.dims.size() << " dimension(s); expected [N, H, W]");
  DPT_CHECK(labels.dims.size() == 1, DataError,
            "labels file '" << o.labels << "' has " << labels.dims.size() << " dimensions; expected [N]");
  DPT_CHECK(images.dims[0] == labels.dims[0], DataError,
            "'" << o.images << "' holds " << images.dims[0] << " images but '" << o.labels << "' holds "
                << labels.dims[0] << " labels; pass the matching pair");
  FieldSpec x{"x", DType::kUInt8, {images.dims.begin() + 1, images.dims.end()}, FieldRole::kImage};
  pixel_stats(images.data, &x.mean, &x.std);
  FieldSpec y{"y", DType::kUInt8, {}, FieldRole::kLabel};
  y.num_classes = resolve_num_classes(o, labels);
  SplitSource source;
  source.fields = {x, y};
  source.columns = {images.data.data(), labels.data.data()};
  source.samples = images.dims[0];
  source.class_names = o.class_names;
  source.source = "IDX images " + o.images + ", labels " + o.labels;
  return write_split(source, o.out, o.write);
}

}  // namespace dpt::data
