#pragma once
// MpiCommunicator: the CPU backend. Collectives on CPU tensors run on this communicator's own
// duplicate of the given MPI communicator, on its worker thread (Note [Why a thread and not
// MPI_I*]), in submission order.
//
// Messages larger than DPT_MPI_MAX_CHUNK_BYTES (default 1 GiB) are split into several MPI
// calls: MPI counts are int, and large single messages are a known weak spot of MPI libraries.
#include <mpi.h>

#include <cstdint>
#include <functional>
#include <memory>

#include "comm/communicator.h"
#include "comm/mpi/mpi_types.h"
#include "comm/mpi/mpi_worker.h"

namespace dpt::comm {

class MpiCommunicator : public Communicator {
 public:
  // Collective over `comm` (MPI_Comm_dup). Requires MPI to be initialized.
  explicit MpiCommunicator(MPI_Comm comm);
  ~MpiCommunicator() override;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "mpi"; }

  std::shared_ptr<Work> allreduce_async(at::Tensor& tensor, ReduceOp op) override;
  std::shared_ptr<Work> broadcast_async(at::Tensor& tensor, int root) override;
  std::shared_ptr<Work> allgather_async(const at::Tensor& input, at::Tensor& output) override;
  std::shared_ptr<Work> reduce_scatter_async(const at::Tensor& input, at::Tensor& output,
                                             ReduceOp op) override;
  std::shared_ptr<Work> barrier_async() override;
  // Blocking forms run on the calling thread, in order after every queued async collective.
  void allreduce(at::Tensor& tensor, ReduceOp op) override;
  void broadcast(at::Tensor& tensor, int root) override;
  void allgather(const at::Tensor& input, at::Tensor& output) override;
  void reduce_scatter(const at::Tensor& input, at::Tensor& output, ReduceOp op) override;
  void barrier() override;
  // MPI cannot cancel a blocked collective: this calls MPI_Abort, ending the whole job.
  void abort() override;

  // Elements per MPI call for `dtype` (tests read it to build tensors that need splitting).
  int64_t chunk_elements(c10::ScalarType dtype) const;

 private:
  // Each *_task checks its arguments on the calling thread and returns the work to run.
  std::function<void()> allreduce_task(const at::Tensor& tensor, ReduceOp op);
  std::function<void()> broadcast_task(const at::Tensor& tensor, int root);
  std::function<void()> allgather_task(const at::Tensor& input, const at::Tensor& output);
  std::function<void()> reduce_scatter_task(const at::Tensor& input, const at::Tensor& output, ReduceOp op);
  std::function<void()> barrier_task();

  void run_allreduce(at::Tensor& tensor, ReduceOp op);
  void run_broadcast(at::Tensor& tensor, int root);
  void run_allgather(const at::Tensor& input, at::Tensor& output);
  void run_reduce_scatter(const at::Tensor& input, at::Tensor& output, ReduceOp op);
  void divide_for_avg(at::Tensor& tensor) const;

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
  int64_t max_chunk_bytes_;
  MpiTypes types_;
  std::unique_ptr<MpiWorker> worker_;  // last member: its thread stops before the rest goes
};

}  // namespace dpt::comm
