#include "runtime/mpi_session.h"

#include <mpi.h>

#include "common/log.h"
#include "runtime/mpi_check.h"

namespace dpt::runtime {

std::string mpi_error_string(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) return "MPI error code " + std::to_string(code);
  return std::string(text, static_cast<size_t>(length));
}

MpiSession::MpiSession(int* argc, char*** argv) {
  int initialized = 0;
  DPT_CHECK_MPI(MPI_Initialized(&initialized));
  int provided = MPI_THREAD_SINGLE;
  if (initialized) {
    DPT_CHECK_MPI(MPI_Query_thread(&provided));
  } else {
    DPT_CHECK_MPI(MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided));
    owns_init_ = true;
  }
  // Errors on the world communicator come back as codes (and become CommError) instead of
  // aborting inside MPI without saying which call failed.
  DPT_CHECK_MPI(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
  DPT_CHECK_MPI(MPI_Comm_rank(MPI_COMM_WORLD, &rank_));
  DPT_CHECK_MPI(MPI_Comm_size(MPI_COMM_WORLD, &size_));
  log::set_rank(rank_, size_);
  thread_multiple_ = provided >= MPI_THREAD_MULTIPLE;
  if (!thread_multiple_) {
    DPT_LOG(kWarn) << "MPI granted thread level " << provided
                   << " instead of MPI_THREAD_MULTIPLE; communication threads will be serialized "
                      "with the main thread's MPI calls (slower; check the MPI build)";
  }
}

MpiSession::~MpiSession() {
  if (!owns_init_) return;
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

}  // namespace dpt::runtime
