#pragma once
// DPT_CHECK_MPI(call): runs an MPI call and throws CommError with the call text, MPI's error
// string, file:line and rank when it does not return MPI_SUCCESS. Communicators that dptrain
// creates use MPI_ERRORS_RETURN so that errors reach this check instead of aborting inside MPI.
#include <mpi.h>

#include <string>

#include "common/error.h"

namespace dpt::runtime {
// MPI's text for an error code.
std::string mpi_error_string(int code);
}  // namespace dpt::runtime

#define DPT_CHECK_MPI(call)                                                                   \
  do {                                                                                        \
    const int dpt_mpi_rc_ = (call);                                                           \
    if (dpt_mpi_rc_ != MPI_SUCCESS) {                                                         \
      throw ::dpt::CommError(::dpt::format_error(                                             \
          "MPI error: " + ::dpt::runtime::mpi_error_string(dpt_mpi_rc_), #call, __FILE__, __LINE__)); \
    }                                                                                         \
  } while (0)
