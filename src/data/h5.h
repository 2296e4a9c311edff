#pragma once
// HDF5 plumbing for dptrain: the DPT_CHECK_H5 macro, the process-wide HDF5 lock, an RAII
// handle for hid_t ids, and read-only / create helpers for shard files.
//
// Note [HDF5 is not thread-safe]
// Debian's parallel HDF5 (libhdf5-openmpi) is built without --enable-threadsafe: two threads
// inside the library at once corrupt its global state. Every HDF5 call in the process must
// therefore hold h5_mutex(). DPT_CHECK_H5 takes it around the call it checks, H5Id takes it to
// close, and code that makes several calls in a row may hold an H5Lock across them (the mutex
// is recursive). The loader's reader thread and the trainer's checkpoint writer share this one
// mutex; a block read holds it for a few milliseconds at most.
//
// Note [No HDF5 file locking]
// HDF5 1.10 takes an flock() on every file it opens, which fails or hangs on some shared file
// systems (NFS, Lustre without flock). Shards are read-only once written, so dptrain opens them
// with H5Pset_file_locking(fapl, false, true) (available since HDF5 1.10.7).
#include <hdf5.h>

#include <mutex>
#include <string>

#include "common/error.h"

namespace dpt::data {

// The one mutex that serializes HDF5 calls in this process (Note [HDF5 is not thread-safe]).
std::recursive_mutex& h5_mutex();
using H5Lock = std::lock_guard<std::recursive_mutex>;

// Turns off HDF5's automatic error printing (dptrain reports errors itself). Idempotent;
// called by every helper here before its first HDF5 call.
void h5_init();

// HDF5's current error stack as one line ("major: minor (function); ..."), then clears it.
// Caller holds h5_mutex().
std::string h5_error_stack();

namespace detail {
[[noreturn]] void throw_h5(const char* call, const char* file, int line);
}  // namespace detail

// RAII owner of one HDF5 id (file, dataset, dataspace, datatype, property list, attribute).
// Closes it with H5Idec_ref under the HDF5 lock; movable, not copyable.
class H5Id {
 public:
  H5Id() = default;
  explicit H5Id(hid_t id) : id_(id) {}
  ~H5Id() { reset(); }
  H5Id(H5Id&& other) noexcept : id_(other.release()) {}
  H5Id& operator=(H5Id&& other) noexcept;
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;

  hid_t get() const { return id_; }
  explicit operator bool() const { return id_ >= 0; }
  hid_t release();
  void reset();

 private:
  hid_t id_ = H5I_INVALID_HID;
};

// Opens an existing HDF5 file read-only, without file locking (Note [No HDF5 file locking]).
// Throws DataError naming `path`, HDF5's reason, and what to do.
H5Id open_file_read_only(const std::string& path);
// Creates (truncating) an HDF5 file for writing, without file locking.
H5Id create_file(const std::string& path);

}  // namespace dpt::data

// DPT_CHECK_H5(call): runs `call` holding the HDF5 lock; a negative result (HDF5's failure
// value for both herr_t and hid_t) throws DataError with the call text and HDF5's error stack.
// Evaluates to the call's result:  H5Id space(DPT_CHECK_H5(H5Dget_space(dset.get())));
#define DPT_CHECK_H5(call)                                                      \
  ([&]() {                                                                      \
    ::dpt::data::h5_init();                                                     \
    ::dpt::data::H5Lock dpt_h5_lock_(::dpt::data::h5_mutex());                  \
    const auto dpt_h5_result_ = (call);                                         \
    if (dpt_h5_result_ < 0) ::dpt::data::detail::throw_h5(#call, __FILE__, __LINE__); \
    return dpt_h5_result_;                                                      \
  }())
