#include "checkpoint/reader.h"

#include <ATen/ATen.h>

#include "checkpoint/crc32.h"
#include "checkpoint/h5_util.h"
#include "common/error.h"

namespace dpt::checkpoint {
namespace {

// Checks that dataset `dset` has the dtype size and shape the manifest gives for `info`.
void check_dataset(hid_t dset, const TensorInfo& info, const std::string& where) {
  data::H5Id type(DPT_CKPT_H5(H5Dget_type(dset)));
  const size_t size = type_size(type.get());
  DPT_CHECK(size == at::elementSize(info.dtype), CheckpointError,
            where << ": dataset /" << info.name << " has " << size << "-byte elements, the manifest says "
                  << dtype_name(info.dtype) << "; the file is damaged");
  data::H5Id space(DPT_CKPT_H5(H5Dget_space(dset)));
  const int rank = DPT_CKPT_H5(H5Sget_simple_extent_ndims(space.get()));
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  DPT_CKPT_H5(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr));
  DPT_CHECK(std::vector<int64_t>(dims.begin(), dims.end()) == info.shape, CheckpointError,
            where << ": dataset /" << info.name << " does not have the shape its manifest lists; the file is damaged");
}

// Whether `path` ("optimizer/fc0.weight/exp_avg") names an object in `file`. H5Lexists fails,
// rather than answering false, when an intermediate group is missing, so each prefix is tested.
bool path_exists(hid_t file, const std::string& path) {
  for (size_t slash = path.find('/'); ; slash = path.find('/', slash + 1)) {
    const std::string prefix = path.substr(0, slash);
    if (DPT_CKPT_H5(H5Lexists(file, prefix.c_str(), H5P_DEFAULT)) <= 0) return false;
    if (slash == std::string::npos) return true;
  }
}

}  // namespace

Reader::Reader(std::string path, IoComm& comm) : path_(std::move(path)), comm_(comm) {
  comm_.agreed([&] {
    data::H5Id fapl = mpio_fapl(comm_.get());
    {
      data::H5Lock lock(data::h5_mutex());
      const hid_t id = H5Fopen(path_.c_str(), H5F_ACC_RDONLY, fapl.get());
      DPT_CHECK(id >= 0, CheckpointError, "cannot open checkpoint '" << path_ << "': " << data::h5_error_stack()
                                          << ". The file is missing, truncated or not HDF5");
      file_ = data::H5Id(id);
    }
    dxpl_ = collective_dxpl();
    const htri_t has_meta = DPT_CKPT_H5(H5Lexists(file_.get(), "meta", H5P_DEFAULT));
    DPT_CHECK(has_meta > 0, CheckpointError, path_ << " has no /meta group: it is not a dptrain checkpoint");
    data::H5Id meta(DPT_CKPT_H5(H5Gopen2(file_.get(), "meta", H5P_DEFAULT)));
    const std::string where = "checkpoint " + path_;
    const std::string text = read_string_dataset(meta.get(), "manifest", dxpl_.get(), where + " /meta/manifest");
    const int64_t stored = read_int_attribute(meta.get(), "manifest_crc32", where + " /meta");
    DPT_CHECK(static_cast<uint32_t>(stored) == crc32(text.data(), static_cast<int64_t>(text.size())),
              CheckpointError, where << ": /meta/manifest fails its checksum; the file is damaged");
    manifest_ = parse_manifest(data::parse_json(text, where + " /meta/manifest"), where);
    manifest_.config_text = read_string_dataset(meta.get(), "config", dxpl_.get(), where + " /meta/config");
    for (const auto& info : manifest_.tensors) {
      DPT_CHECK(path_exists(file_.get(), info.name), CheckpointError, where << ": dataset /" << info.name
                                                   << " listed in its manifest is missing; the file is damaged");
      datasets_.emplace_back(DPT_CKPT_H5(H5Dopen2(file_.get(), info.name.c_str(), H5P_DEFAULT)));
      check_dataset(datasets_.back().get(), info, where);
    }
  });
}

Reader::~Reader() = default;

size_t Reader::index_of(const TensorInfo& info) const {
  for (size_t i = 0; i < manifest_.tensors.size(); ++i) {
    if (manifest_.tensors[i].name == info.name) return i;
  }
  DPT_THROW(InternalError, "tensor " << info.name << " is not in checkpoint " << path_);
}

uint32_t Reader::read_range(size_t index, Range range, at::Tensor& out) {
  const TensorInfo& info = manifest_.tensors[index];
  if (info.numel() == 0) return 0;  // no storage to read (every rank skips alike)
  hid_t dset = datasets_[index].get();
  data::H5Id space(DPT_CKPT_H5(H5Dget_space(dset)));
  select_flat_range(space.get(), info.shape, range);
  const hsize_t count = static_cast<hsize_t>(std::max<int64_t>(1, range.size()));
  data::H5Id memory(DPT_CKPT_H5(H5Screate_simple(1, &count, nullptr)));
  if (range.size() == 0) DPT_CKPT_H5(H5Sselect_none(memory.get()));
  data::H5Id type(DPT_CKPT_H5(h5_type_for(info.dtype)));
  static char nothing = 0;  // HDF5 wants a buffer even when this rank reads nothing
  const int64_t element = at::elementSize(info.dtype);
  char* bytes = range.size() == 0 ? &nothing : static_cast<char*>(out.data_ptr()) + range.begin * element;
  DPT_CKPT_H5(H5Dread(dset, type.get(), memory.get(), space.get(), dxpl_.get(), bytes));
  return range.size() == 0 ? 0 : crc32(bytes, range.size() * element);
}

at::Tensor Reader::read(const TensorInfo& info) {
  const size_t index = index_of(info);
  at::Tensor out = at::empty(info.shape, at::TensorOptions().dtype(info.dtype));
  const int64_t element = at::elementSize(info.dtype);
  const uint32_t mine = read_range(index, share(info.numel(), element, comm_.size(), comm_.rank()), out);
  const std::vector<int64_t> crcs = comm_.allgather({static_cast<int64_t>(mine)});
  std::vector<int64_t> begin, count;
  uint32_t crc = 0;
  for (int r = 0; r < comm_.size(); ++r) {
    const Range piece = share(info.numel(), element, comm_.size(), r);
    begin.push_back(piece.begin * element);
    count.push_back(piece.size() * element);
    crc = crc32_combine(crc, static_cast<uint32_t>(crcs[static_cast<size_t>(r)]), piece.size() * element);
  }
  // The same decision on every rank: all combine the same all-gathered CRCs.
  DPT_CHECK(crc == info.crc32, CheckpointError,
            "checkpoint " << path_ << ": tensor /" << info.name << " fails its checksum (stored crc32 " << info.crc32
                          << ", read " << crc << "); the file is damaged");
  comm_.allgather_pieces(out.data_ptr(), begin, count);
  return out;
}

at::Tensor Reader::read_on(const TensorInfo& info, int reader) {
  const size_t index = index_of(info);
  const bool mine = comm_.rank() == reader;
  at::Tensor out = mine ? at::empty(info.shape, at::TensorOptions().dtype(info.dtype)) : at::Tensor();
  const uint32_t crc = read_range(index, mine ? Range{0, info.numel()} : Range{}, out);
  comm_.raise_if_any<CheckpointError>(
      !mine || crc == info.crc32
          ? ""
          : "checkpoint " + path_ + ": tensor /" + info.name + " fails its checksum; the file is damaged");
  return out;
}

std::vector<TensorEntry> Reader::read_replicated() {
  std::vector<TensorEntry> out;
  for (const auto& info : manifest_.tensors) {
    if (info.owner < 0) out.push_back({info.name, read(info)});
  }
  return out;
}

at::Tensor Reader::read_rank_state() {
  at::Tensor mine;
  for (const auto& info : manifest_.tensors) {
    if (info.owner < 0 || info.owner >= comm_.size()) continue;
    at::Tensor t = read_on(info, info.owner);
    if (info.owner == comm_.rank()) mine = t;
  }
  return mine;
}

}  // namespace dpt::checkpoint
