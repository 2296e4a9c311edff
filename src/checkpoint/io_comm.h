#pragma once
// IoComm: the MPI communicator a checkpoint is written or read on, and the few small
// collectives the checkpoint code needs beside HDF5's own.
//
// Every checkpoint operation runs on its own duplicate of a parent communicator (normally
// MPI_COMM_WORLD), so its messages never match the gradient all-reduces of comm/ or another
// thread's checkpoint traffic (Note [Async checkpoint writer]). Errors are returned, not
// fatal (MPI_ERRORS_RETURN), and surface as CommError through DPT_CHECK_MPI.
//
// Contract: every member function except rank()/size()/get() is collective over the
// communicator and must be called by all its ranks in the same order, from one thread at a
// time per IoComm.
#include <mpi.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace dpt::checkpoint {

class IoComm {
 public:
  // Collective over `parent`: duplicates it.
  explicit IoComm(MPI_Comm parent);
  ~IoComm();
  IoComm(const IoComm&) = delete;
  IoComm& operator=(const IoComm&) = delete;

  MPI_Comm get() const { return comm_; }
  int rank() const { return rank_; }
  int size() const { return size_; }

  void barrier();
  // Root's `text` on every rank.
  std::string broadcast(std::string text, int root);
  // Root's `value` on every rank.
  int64_t broadcast(int64_t value, int root);
  // Every rank's values, concatenated in rank order (each rank passes the same count).
  std::vector<int64_t> allgather(const std::vector<int64_t>& values);
  // Fills `buffer` (the same size on every rank) with each rank's piece: rank r owns bytes
  // [begin[r], begin[r] + count[r]) and has them in place; afterwards every rank has all.
  void allgather_pieces(void* buffer, const std::vector<int64_t>& begin, const std::vector<int64_t>& count);

  // Agreement on failure. Each rank passes "" (fine) or its error message; when any rank
  // failed, every rank throws `T` carrying the lowest failing rank's message, so all ranks
  // leave a multi-step collective operation at the same point instead of some hanging.
  template <typename T>
  void raise_if_any(const std::string& error);
  // Runs `step` on every rank and agrees on its outcome as raise_if_any does: a dpt::Error
  // (or std::exception) thrown on any rank is rethrown on all as the same type family.
  void agreed(const std::function<void()>& step);

 private:
  // The lowest failing rank's message, or "" when no rank failed.
  std::string first_error(const std::string& error);

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
};

template <typename T>
void IoComm::raise_if_any(const std::string& error) {
  const std::string first = first_error(error);
  if (!first.empty()) throw T(first);
}

}  // namespace dpt::checkpoint
