#include "data/h5.h"

#include <sstream>

namespace dpt::data {
namespace {

herr_t collect_error(unsigned n, const H5E_error2_t* err, void* client) {
  auto* out = static_cast<std::ostringstream*>(client);
  if (n > 0) *out << "; ";
  char major[128] = "", minor[128] = "";
  H5Eget_msg(err->maj_num, nullptr, major, sizeof major);
  H5Eget_msg(err->min_num, nullptr, minor, sizeof minor);
  *out << (err->desc != nullptr && *err->desc != '\0' ? err->desc : minor) << " (" << major << ": "
       << minor << ", in " << (err->func_name != nullptr ? err->func_name : "?") << ")";
  return 0;
}

// A file-access property list with file locking off (Note [No HDF5 file locking]).
H5Id no_locking_fapl() {
  H5Id fapl(DPT_CHECK_H5(H5Pcreate(H5P_FILE_ACCESS)));
  DPT_CHECK_H5(H5Pset_file_locking(fapl.get(), false, true));
  return fapl;
}

}  // namespace

std::recursive_mutex& h5_mutex() {
  static std::recursive_mutex mutex;
  return mutex;
}

void h5_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    H5Lock lock(h5_mutex());
    H5open();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  });
}

std::string h5_error_stack() {
  std::ostringstream out;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &out);
  H5Eclear2(H5E_DEFAULT);
  const std::string text = out.str();
  return text.empty() ? "no HDF5 error message" : text;
}

namespace detail {
void throw_h5(const char* call, const char* file, int line) {
  const std::string stack = h5_error_stack();
  throw DataError(format_error("HDF5 call failed: " + stack, call, file, line));
}
}  // namespace detail

H5Id& H5Id::operator=(H5Id&& other) noexcept {
  if (this != &other) {
    reset();
    id_ = other.release();
  }
  return *this;
}

hid_t H5Id::release() {
  const hid_t id = id_;
  id_ = H5I_INVALID_HID;
  return id;
}

void H5Id::reset() {
  if (id_ < 0) return;
  H5Lock lock(h5_mutex());
  // Closing never throws: a destructor may run during unwinding. A failed close only leaks.
  H5Idec_ref(id_);
  H5Eclear2(H5E_DEFAULT);
  id_ = H5I_INVALID_HID;
}

H5Id open_file_read_only(const std::string& path) {
  h5_init();
  H5Id fapl = no_locking_fapl();
  H5Lock lock(h5_mutex());
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get());
  if (id < 0) {
    DPT_THROW(DataError, "cannot open '" << path << "' as an HDF5 file: " << h5_error_stack()
                         << ". The file is damaged, truncated or not HDF5; re-run 'dptrain prepare' "
                            "to rebuild the dataset");
  }
  return H5Id(id);
}

H5Id create_file(const std::string& path) {
  h5_init();
  H5Id fapl = no_locking_fapl();
  H5Lock lock(h5_mutex());
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get());
  if (id < 0) {
    DPT_THROW(DataError, "cannot create HDF5 file '" << path << "': " << h5_error_stack()
                         << ". Check that the directory exists and is writable");
  }
  return H5Id(id);
}

}  // namespace dpt::data
