#pragma once
// HDF5 helpers of the checkpoint module: the checked-call macro that raises CheckpointError,
// the MPI-IO property lists, and scalar attributes / string datasets.
//
// Every call holds the process-wide HDF5 lock for its duration only (Note [HDF5 is not
// thread-safe] in data/h5.h), so the loader's reader thread can interleave between the calls
// of a background checkpoint write.
#include <hdf5.h>
#include <mpi.h>

#include <cstdint>
#include <string>

#include "data/h5.h"

namespace dpt::checkpoint {

namespace detail {
[[noreturn]] void throw_h5(const char* call, const char* file, int line);
}  // namespace detail

// A file-access list for MPI-IO on `comm` (collective metadata, no file locking, 64 KiB
// alignment of large datasets; Note [Checkpoint shares]). Without `collective_buffering` the
// MPI-IO hints turn off two-phase aggregation (Note [Collective buffering]).
data::H5Id mpio_fapl(MPI_Comm comm, bool collective_buffering = true);
// A transfer list for collective MPI-IO reads and writes.
data::H5Id collective_dxpl();

// Size in bytes of the HDF5 datatype `type`; throws CheckpointError when HDF5 cannot tell.
size_t type_size(hid_t type);

// Collective (metadata): writes a scalar attribute on `object`; every rank passes the same value.
void write_attribute(hid_t object, const char* name, int64_t value);
void write_attribute(hid_t object, const char* name, const std::string& value);
// Reads a scalar attribute; throws CheckpointError naming `where` when it is missing.
int64_t read_int_attribute(hid_t object, const char* name, const std::string& where);
std::string read_string_attribute(hid_t object, const char* name, const std::string& where);

// Collective: creates the scalar fixed-length string dataset `name` under `parent`; rank
// `writer` writes `text` (every rank passes the same text).
void write_string_dataset(hid_t parent, const char* name, const std::string& text, hid_t dxpl, bool writer);
// Collective: reads it back on every rank.
std::string read_string_dataset(hid_t parent, const char* name, hid_t dxpl, const std::string& where);

}  // namespace dpt::checkpoint

// DPT_CKPT_H5(call): DPT_CHECK_H5 for checkpoint code: a negative result throws
// CheckpointError with the call text and HDF5's error stack.
#define DPT_CKPT_H5(call)                                                                  \
  ([&]() {                                                                                 \
    ::dpt::data::h5_init();                                                                \
    ::dpt::data::H5Lock dpt_h5_lock_(::dpt::data::h5_mutex());                             \
    const auto dpt_h5_result_ = (call);                                                    \
    if (dpt_h5_result_ < 0) ::dpt::checkpoint::detail::throw_h5(#call, __FILE__, __LINE__); \
    return dpt_h5_result_;                                                                 \
  }())
