#include "checkpoint/h5_util.h"

#include <vector>

#include "common/error.h"

namespace dpt::checkpoint {

namespace detail {
void throw_h5(const char* call, const char* file, int line) {
  const std::string stack = data::h5_error_stack();
  throw CheckpointError(format_error("HDF5 call failed: " + stack, call, file, line));
}
}  // namespace detail

// Note [Collective buffering]
// Collective MPI-IO normally uses two-phase I/O: ranks ship their data to a few aggregator
// ranks, which write large contiguous blocks. A checkpoint rank's share of a tensor is already
// one large contiguous, 64 KiB-aligned block (Note [Checkpoint shares]), so aggregation is not
// needed to form large writes; whether it helps depends on the file system (a parallel one
// may prefer few writers per stripe, a local one several streams or one). Measured here (ext4
// on a virtual disk, 2 ranks, 256 MiB, paired rounds, bench checkpoint --compare-buffering)
// both ran at ~0.76 x a plain write()+fsync. So dptrain keeps MPI-IO's default
// (checkpoint.collective_buffering=true); false passes the hints "collective_buffering"=false
// (OMPIO; the MPI standard's key) and "romio_cb_write"/"romio_cb_read"=disable (ROMIO): the
// transfers stay collective, but every rank writes its own share.
data::H5Id mpio_fapl(MPI_Comm comm, bool collective_buffering) {
  data::H5Id fapl(DPT_CKPT_H5(H5Pcreate(H5P_FILE_ACCESS)));
  MPI_Info info = MPI_INFO_NULL;
  if (!collective_buffering) {
    MPI_Info_create(&info);
    MPI_Info_set(info, "collective_buffering", "false");
    MPI_Info_set(info, "romio_cb_write", "disable");
    MPI_Info_set(info, "romio_cb_read", "disable");
  }
  try {
    DPT_CKPT_H5(H5Pset_fapl_mpio(fapl.get(), comm, info));  // HDF5 keeps its own copy of info
  } catch (...) {
    if (info != MPI_INFO_NULL) MPI_Info_free(&info);
    throw;
  }
  if (info != MPI_INFO_NULL) MPI_Info_free(&info);
  DPT_CKPT_H5(H5Pset_all_coll_metadata_ops(fapl.get(), true));
  DPT_CKPT_H5(H5Pset_coll_metadata_write(fapl.get(), true));
  DPT_CKPT_H5(H5Pset_file_locking(fapl.get(), false, true));
  DPT_CKPT_H5(H5Pset_alignment(fapl.get(), 64 << 10, 64 << 10));
  return fapl;
}

size_t type_size(hid_t type) {
  data::H5Lock lock(data::h5_mutex());
  const size_t size = H5Tget_size(type);
  if (size == 0) detail::throw_h5("H5Tget_size(type)", __FILE__, __LINE__);
  return size;
}

data::H5Id collective_dxpl() {
  data::H5Id dxpl(DPT_CKPT_H5(H5Pcreate(H5P_DATASET_XFER)));
  DPT_CKPT_H5(H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE));
  return dxpl;
}

namespace {

data::H5Id string_type(size_t length) {
  data::H5Id type(DPT_CKPT_H5(H5Tcopy(H5T_C_S1)));
  DPT_CKPT_H5(H5Tset_size(type.get(), length == 0 ? 1 : length));
  DPT_CKPT_H5(H5Tset_strpad(type.get(), H5T_STR_NULLPAD));
  DPT_CKPT_H5(H5Tset_cset(type.get(), H5T_CSET_UTF8));
  return type;
}

data::H5Id open_attribute(hid_t object, const char* name, const std::string& where) {
  const htri_t exists = DPT_CKPT_H5(H5Aexists(object, name));
  DPT_CHECK(exists > 0, CheckpointError, where << " has no attribute '" << name << "'");
  return data::H5Id(DPT_CKPT_H5(H5Aopen(object, name, H5P_DEFAULT)));
}

// Reads a fixed-length string of `type` from an attribute or a dataset through `read`.
template <typename Read>
std::string read_fixed_string(hid_t type, const std::string& where, Read read) {
  DPT_CHECK(DPT_CKPT_H5(H5Tget_class(type)) == H5T_STRING && !DPT_CKPT_H5(H5Tis_variable_str(type)),
            CheckpointError, where << " is not a fixed-length string");
  const size_t size = type_size(type);
  std::vector<char> buffer(size);
  // The file's own type as the memory type: HDF5 does not convert between the ASCII strings
  // other tools (h5py) write and the UTF-8 ones dptrain writes.
  data::H5Id mem(DPT_CKPT_H5(H5Tcopy(type)));
  read(mem.get(), buffer.data());
  std::string text(buffer.data(), size);
  const size_t nul = text.find('\0');
  return nul == std::string::npos ? text : text.substr(0, nul);
}

}  // namespace

void write_attribute(hid_t object, const char* name, int64_t value) {
  data::H5Id space(DPT_CKPT_H5(H5Screate(H5S_SCALAR)));
  data::H5Id attr(DPT_CKPT_H5(H5Acreate2(object, name, H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT)));
  DPT_CKPT_H5(H5Awrite(attr.get(), H5T_NATIVE_INT64, &value));
}

void write_attribute(hid_t object, const char* name, const std::string& value) {
  data::H5Id space(DPT_CKPT_H5(H5Screate(H5S_SCALAR)));
  data::H5Id type = string_type(value.size());
  data::H5Id attr(DPT_CKPT_H5(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT)));
  std::string padded = value.empty() ? std::string(1, '\0') : value;
  DPT_CKPT_H5(H5Awrite(attr.get(), type.get(), padded.data()));
}

int64_t read_int_attribute(hid_t object, const char* name, const std::string& where) {
  data::H5Id attr = open_attribute(object, name, where);
  int64_t value = 0;
  DPT_CKPT_H5(H5Aread(attr.get(), H5T_NATIVE_INT64, &value));
  return value;
}

std::string read_string_attribute(hid_t object, const char* name, const std::string& where) {
  data::H5Id attr = open_attribute(object, name, where);
  data::H5Id type(DPT_CKPT_H5(H5Aget_type(attr.get())));
  return read_fixed_string(type.get(), where + " attribute " + name,
                           [&](hid_t mem, char* out) { DPT_CKPT_H5(H5Aread(attr.get(), mem, out)); });
}

void write_string_dataset(hid_t parent, const char* name, const std::string& text, hid_t dxpl, bool writer) {
  data::H5Id space(DPT_CKPT_H5(H5Screate(H5S_SCALAR)));
  data::H5Id type = string_type(text.size());
  data::H5Id dset(DPT_CKPT_H5(
      H5Dcreate2(parent, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)));
  data::H5Id selection(DPT_CKPT_H5(H5Screate(H5S_SCALAR)));
  if (!writer) DPT_CKPT_H5(H5Sselect_none(selection.get()));
  std::string padded = text.empty() ? std::string(1, '\0') : text;
  DPT_CKPT_H5(H5Dwrite(dset.get(), type.get(), selection.get(), selection.get(), dxpl, padded.data()));
}

std::string read_string_dataset(hid_t parent, const char* name, hid_t dxpl, const std::string& where) {
  const htri_t exists = DPT_CKPT_H5(H5Lexists(parent, name, H5P_DEFAULT));
  DPT_CHECK(exists > 0, CheckpointError, where << " is missing");
  data::H5Id dset(DPT_CKPT_H5(H5Dopen2(parent, name, H5P_DEFAULT)));
  data::H5Id type(DPT_CKPT_H5(H5Dget_type(dset.get())));
  return read_fixed_string(type.get(), where, [&](hid_t mem, char* out) {
    DPT_CKPT_H5(H5Dread(dset.get(), mem, H5S_ALL, H5S_ALL, dxpl, out));
  });
}

}  // namespace dpt::checkpoint
