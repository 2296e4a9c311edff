#include "data/shard.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>
#include <fcntl.h>
#include <unistd.h>

#include "common/env.h"
#include "common/error.h"
#include "common/log.h"

namespace dpt::data {
namespace {

std::vector<hsize_t> dims_of(const FieldSpec& field, int64_t rows) {
  std::vector<hsize_t> dims{static_cast<hsize_t>(rows)};
  for (int64_t d : field.shape) dims.push_back(static_cast<hsize_t>(d));
  return dims;
}

std::string shape_text(const std::vector<hsize_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

void write_field(hid_t file, const FieldSpec& field, const void* data, int64_t samples,
                 const ShardWriteOptions& options) {
  const std::vector<hsize_t> dims = dims_of(field, samples);
  std::vector<hsize_t> chunk = dims_of(field, chunk_rows(field, samples, options.chunk_bytes));
  H5Id space(DPT_CHECK_H5(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr)));
  H5Id dcpl(DPT_CHECK_H5(H5Pcreate(H5P_DATASET_CREATE)));
  DPT_CHECK_H5(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()));
  DPT_CHECK_H5(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER));
  if (options.compress) {
    DPT_CHECK(DPT_CHECK_H5(H5Zfilter_avail(H5Z_FILTER_DEFLATE)) > 0, DataError,
              "this HDF5 library has no deflate filter; prepare without --compress");
    DPT_CHECK_H5(H5Pset_deflate(dcpl.get(), static_cast<unsigned>(options.deflate_level)));
  }
  const hid_t type = dtype_h5_native(field.dtype);
  H5Id dset(DPT_CHECK_H5(H5Dcreate2(file, field.name.c_str(), type, space.get(), H5P_DEFAULT, dcpl.get(),
                                    H5P_DEFAULT)));
  DPT_CHECK_H5(H5Dwrite(dset.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data));
}

int64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : -1;
}

}  // namespace

int64_t chunk_rows(const FieldSpec& field, int64_t samples, int64_t chunk_bytes) {
  samples = std::max<int64_t>(1, samples);
  const int64_t target = std::clamp<int64_t>(chunk_bytes / std::max<int64_t>(1, field.sample_bytes()), 1, samples);
  // Even chunks: HDF5 stores the last chunk at full size, so a nearly empty one wastes space.
  const int64_t chunks = (samples + target - 1) / target;
  return (samples + chunks - 1) / chunks;
}

int64_t write_shard(const std::string& path, const std::vector<FieldSpec>& fields,
                    const std::vector<const void*>& columns, int64_t samples, const ShardWriteOptions& options) {
  DPT_CHECK(fields.size() == columns.size() && samples >= 1, InternalError,
            "write_shard: " << fields.size() << " fields, " << columns.size() << " columns, " << samples << " samples");
  {
    H5Id file = create_file(path);
    for (size_t i = 0; i < fields.size(); ++i) write_field(file.get(), fields[i], columns[i], samples, options);
    DPT_CHECK_H5(H5Fflush(file.get(), H5F_SCOPE_LOCAL));
  }  // closed here, so the size below is final
  return file_size(path);
}

ShardFile::ShardFile(const std::string& dir, const ShardInfo& info, const std::vector<FieldSpec>& fields)
    : path_(dir + "/" + info.file), samples_(info.samples), fields_(fields) {
  const int64_t size = file_size(path_);
  DPT_CHECK(size >= 0, DataError,
            "shard '" << path_ << "' listed in manifest.json is missing; the dataset is incomplete: "
                      "re-run 'dptrain prepare' or copy the whole directory again");
  DPT_CHECK(size == info.bytes, DataError,
            "shard '" << path_ << "' is " << size << " bytes but manifest.json says " << info.bytes
                      << ": the file is truncated or was replaced; re-run 'dptrain prepare' or copy it again");
  file_ = open_file_read_only(path_);
  H5Id dapl(DPT_CHECK_H5(H5Pcreate(H5P_DATASET_ACCESS)));
  // Room for a few chunks, so a block boundary inside a compressed chunk decompresses it once.
  DPT_CHECK_H5(H5Pset_chunk_cache(dapl.get(), 521, size_t{8} << 20, 1.0));
  for (const FieldSpec& field : fields_) {
    H5Lock lock(h5_mutex());
    const htri_t exists = H5Lexists(file_.get(), field.name.c_str(), H5P_DEFAULT);
    H5Eclear2(H5E_DEFAULT);
    DPT_CHECK(exists > 0, DataError,
              "shard '" << path_ << "' has no dataset '/" << field.name << "' (field '" << field.name
                        << "' of manifest.json); the shard does not belong to this manifest: re-run 'dptrain prepare'");
    H5Id dataset(DPT_CHECK_H5(H5Dopen2(file_.get(), field.name.c_str(), dapl.get())));
    check_field(field, dataset);
    file_spaces_.emplace_back(DPT_CHECK_H5(H5Dget_space(dataset.get())));
    datasets_.push_back(std::move(dataset));
  }
  mapped_.resize(fields_.size());
  if (env::get_string(env::kDataNoMmap, "0") != "1") map_fields(size);
}

ShardFile::~ShardFile() {
  if (map_base_ != nullptr) ::munmap(const_cast<uint8_t*>(map_base_), map_bytes_);
}

// Note [Mapped shards]: where each field's rows lie in the file, when they lie there raw.
ShardFile::MappedField ShardFile::locate_rows(size_t f, int64_t file_bytes) const {
  const FieldSpec& spec = fields_[f];
  const hid_t dset = datasets_[f].get();
  H5Lock lock(h5_mutex());
  H5Id dcpl(DPT_CHECK_H5(H5Dget_create_plist(dset)));
  MappedField m;
  m.row_bytes = spec.sample_bytes();
  const H5D_layout_t layout = H5Pget_layout(dcpl.get());
  if (layout == H5D_CONTIGUOUS) {
    const haddr_t offset = H5Dget_offset(dset);
    H5Eclear2(H5E_DEFAULT);
    if (offset == HADDR_UNDEF) return {};
    m.rows_per_chunk = samples_;
    m.chunk_offsets = {static_cast<int64_t>(offset)};
  } else if (layout == H5D_CHUNKED && DPT_CHECK_H5(H5Pget_nfilters(dcpl.get())) == 0) {
    std::vector<hsize_t> chunk(spec.shape.size() + 1);
    DPT_CHECK_H5(H5Pget_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()));
    for (size_t d = 1; d < chunk.size(); ++d) {
      if (chunk[d] != static_cast<hsize_t>(spec.shape[d - 1])) return {};  // not chunked by whole samples
    }
    m.rows_per_chunk = static_cast<int64_t>(chunk[0]);
    for (int64_t first = 0; first < samples_; first += m.rows_per_chunk) {
      std::vector<hsize_t> coord(chunk.size(), 0);
      coord[0] = static_cast<hsize_t>(first);
      unsigned filter_mask = 0;
      haddr_t addr = HADDR_UNDEF;
      hsize_t bytes = 0;
      const herr_t rc = H5Dget_chunk_info_by_coord(dset, coord.data(), &filter_mask, &addr, &bytes);
      H5Eclear2(H5E_DEFAULT);
      if (rc < 0 || addr == HADDR_UNDEF) return {};  // e.g. a chunk never written
      m.chunk_offsets.push_back(static_cast<int64_t>(addr));
    }
  } else {
    return {};
  }
  for (size_t c = 0; c < m.chunk_offsets.size(); ++c) {
    const int64_t rows = std::min(m.rows_per_chunk, samples_ - static_cast<int64_t>(c) * m.rows_per_chunk);
    DPT_CHECK(m.chunk_offsets[c] >= 0 && m.chunk_offsets[c] + rows * m.row_bytes <= file_bytes, DataError,
              "shard '" << path_ << "' dataset '/" << spec.name << "' points past the end of the file; the shard is "
                        << "damaged: re-run 'dptrain prepare'");
  }
  return m;
}

void ShardFile::map_fields(int64_t file_bytes) {
  std::vector<MappedField> located(fields_.size());
  bool any = false;
  for (size_t f = 0; f < fields_.size(); ++f) {
    located[f] = locate_rows(f, file_bytes);
    any = any || !located[f].chunk_offsets.empty();
  }
  if (!any || file_bytes == 0) return;
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;  // H5Fopen worked, so this is unlikely; HDF5 reads remain
  void* base = ::mmap(nullptr, static_cast<size_t>(file_bytes), PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (base == MAP_FAILED) {
    DPT_LOG(kDebug) << "mmap of " << path_ << " failed (" << std::strerror(errno) << "); reading through HDF5";
    return;
  }
  map_base_ = static_cast<const uint8_t*>(base);
  map_bytes_ = static_cast<size_t>(file_bytes);
  mapped_ = std::move(located);
}

void ShardFile::mapped_rows(size_t field, int64_t first, int64_t count, const uint8_t** out) const {
  const MappedField& m = mapped_[field];
  for (int64_t row = first, end = first + count; row < end;) {
    const int64_t chunk = row / m.rows_per_chunk, in_chunk = row - chunk * m.rows_per_chunk;
    const int64_t n = std::min(end - row, m.rows_per_chunk - in_chunk);
    const uint8_t* p = map_base_ + m.chunk_offsets[static_cast<size_t>(chunk)] + in_chunk * m.row_bytes;
    for (int64_t i = 0; i < n; ++i, p += m.row_bytes) *out++ = p;
    row += n;
  }
}

// Note [Read-ahead only when needed]
// MADV_WILLNEED makes the kernel walk every page of the range in the page cache even when all
// are there (~100 us per 12 MB here, a quarter of loading a block). mincore() on a mapping the
// loader has touched before reads the page tables instead (~5 us), so the rows are first
// checked and read ahead only when some page is missing: the first epoch, or after eviction.
void ShardFile::will_need(size_t field, int64_t first, int64_t count) const {
  const MappedField& m = mapped_[field];
  if (m.chunk_offsets.empty() || count <= 0) return;
  const int64_t page = ::sysconf(_SC_PAGESIZE);
  const int64_t c0 = first / m.rows_per_chunk, c1 = (first + count - 1) / m.rows_per_chunk;
  std::vector<std::pair<int64_t, int64_t>> ranges;  // page-aligned begin, end of each chunk's rows
  int64_t lo = std::numeric_limits<int64_t>::max(), hi = 0;
  for (int64_t c = c0; c <= c1; ++c) {
    const int64_t begin = m.chunk_offsets[static_cast<size_t>(c)] +
                          (std::max(first, c * m.rows_per_chunk) - c * m.rows_per_chunk) * m.row_bytes;
    const int64_t end = m.chunk_offsets[static_cast<size_t>(c)] +
                        (std::min(first + count, (c + 1) * m.rows_per_chunk) - c * m.rows_per_chunk) * m.row_bytes;
    ranges.emplace_back(begin / page * page, end);
    lo = std::min(lo, ranges.back().first);
    hi = std::max(hi, end);
  }
  // The span from the first to the last chunk covers them all (and perhaps other fields' chunks).
  std::vector<unsigned char> resident(static_cast<size_t>((hi - lo + page - 1) / page));
  if (::mincore(const_cast<uint8_t*>(map_base_) + lo, static_cast<size_t>(hi - lo), resident.data()) == 0 &&
      std::all_of(resident.begin(), resident.end(), [](unsigned char r) { return (r & 1) != 0; })) {
    return;
  }
  for (const auto& [begin, end] : ranges) {
    ::madvise(const_cast<uint8_t*>(map_base_) + begin, static_cast<size_t>(end - begin), MADV_WILLNEED);
  }
}

void ShardFile::check_field(const FieldSpec& field, const H5Id& dataset) const {
  H5Lock lock(h5_mutex());
  H5Id type(DPT_CHECK_H5(H5Dget_type(dataset.get())));
  DType dtype{};
  const bool known = dtype_from_h5(type.get(), &dtype);
  DPT_CHECK(known && dtype == field.dtype, DataError,
            "shard '" << path_ << "' dataset '/" << field.name << "' has dtype " << h5_type_description(type.get())
                      << " but manifest.json says " << dtype_name(field.dtype)
                      << "; the shard and the manifest disagree: re-run 'dptrain prepare'");
  H5Id space(DPT_CHECK_H5(H5Dget_space(dataset.get())));
  const int rank = DPT_CHECK_H5(H5Sget_simple_extent_ndims(space.get()));
  std::vector<hsize_t> dims(static_cast<size_t>(std::max(rank, 0)));
  DPT_CHECK_H5(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr));
  const std::vector<hsize_t> expected = dims_of(field, samples_);
  DPT_CHECK(dims == expected, DataError,
            "shard '" << path_ << "' dataset '/" << field.name << "' has shape " << shape_text(dims)
                      << " but manifest.json says " << shape_text(expected) << " ([samples, per-sample shape])"
                      << "; the shard and the manifest disagree: re-run 'dptrain prepare'");
}

void ShardFile::read_rows(size_t field, int64_t first, int64_t count, void* dst) {
  DPT_CHECK(field < datasets_.size() && first >= 0 && count >= 1 && first + count <= samples_, InternalError,
            "read_rows(" << field << ", " << first << ", " << count << ") outside shard " << path_);
  const FieldSpec& spec = fields_[field];
  std::vector<hsize_t> start(spec.shape.size() + 1, 0);
  start[0] = static_cast<hsize_t>(first);
  const std::vector<hsize_t> counts = dims_of(spec, count);
  H5Lock lock(h5_mutex());
  const hid_t fspace = file_spaces_[field].get();
  DPT_CHECK_H5(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start.data(), nullptr, counts.data(), nullptr));
  H5Id mspace(DPT_CHECK_H5(H5Screate_simple(static_cast<int>(counts.size()), counts.data(), nullptr)));
  const herr_t status = H5Dread(datasets_[field].get(), dtype_h5_native(spec.dtype), mspace.get(), fspace,
                                H5P_DEFAULT, dst);
  if (status < 0) {
    DPT_THROW(DataError, "reading rows " << first << ".." << first + count - 1 << " of '/" << spec.name
                                         << "' in shard '" << path_ << "' failed: " << h5_error_stack()
                                         << "; the file may be damaged: run 'dptrain inspect' on the directory");
  }
}

}  // namespace dpt::data
