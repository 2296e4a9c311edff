#pragma once
// MpiSession: the RAII owner of MPI's lifetime in a process.
//
// Contract: construct exactly one, on the main thread, before any other MPI use; it calls
// MPI_Init_thread asking for MPI_THREAD_MULTIPLE (communication threads and MPI-IO run beside
// the main thread) and MPI_Finalize when destroyed. If MPI grants less, it logs a warning and
// thread_multiple() is false. Also registers the rank for log lines and error messages.
namespace dpt::runtime {

class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  int world_rank() const { return rank_; }
  int world_size() const { return size_; }
  bool thread_multiple() const { return thread_multiple_; }

 private:
  int rank_ = 0;
  int size_ = 1;
  bool thread_multiple_ = false;
  bool owns_init_ = false;
};

}  // namespace dpt::runtime
