#pragma once
// NcclCommunicator: the GPU backend. Collectives on CUDA tensors of one device run on this
// communicator's own CUDA stream.
//
// Note [Stream ordering]
// Each collective first makes the communication stream wait for an event recorded on the
// issuing thread's current stream (so it reads the tensor only after the kernels that wrote
// it), then records a second event when it is done. Work::wait() makes the current stream of
// the thread that waits wait for that event: the host is not blocked, and later kernels on that
// stream see the result. The issuing and the waiting thread may differ (the gradient hooks
// issue from autograd's device thread, the trainer waits on the main thread). "Current stream"
// is LibTorch's current CUDA stream when LibTorch was built with CUDA, else the legacy default
// stream.
//
// Note [Host tensors]
// Besides gradients, callers reduce small CPU tensors: metric means, the replica check, the
// stop flag, evaluation counts. Rather than every caller knowing where the backend wants its
// tensors, a CPU tensor is staged through a copy on this communicator's device: copied in on
// the current stream before the collective, copied back by Work::wait(), which then blocks the
// host until the result is in the CPU tensor. Meant for control messages of a few bytes; bulk
// data belongs on the GPU. Needs a CUDA-enabled LibTorch (as any CUDA tensor does).
//
// On any NCCL error the communicator is aborted (ncclCommAbort) before the CommError is thrown,
// so the other ranks fail instead of waiting forever (as Horovod does).
#include <cuda_runtime_api.h>
#include <mpi.h>
#include <nccl.h>

#include "comm/communicator.h"
#include "comm/nccl/nccl_factory.h"

namespace dpt::comm {

class NcclCommunicator : public Communicator {
 public:
  // Collective over `world` (the NCCL unique id travels by MPI_Bcast from rank 0). Throws
  // CommError with a clear message when no CUDA device can be used.
  NcclCommunicator(MPI_Comm world, int device);
  ~NcclCommunicator() override;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "nccl"; }

  std::shared_ptr<Work> allreduce_async(at::Tensor& tensor, ReduceOp op) override;
  std::shared_ptr<Work> broadcast_async(at::Tensor& tensor, int root) override;
  std::shared_ptr<Work> allgather_async(const at::Tensor& input, at::Tensor& output) override;
  std::shared_ptr<Work> reduce_scatter_async(const at::Tensor& input, at::Tensor& output,
                                             ReduceOp op) override;
  // Blocks the host until every rank arrived (a one-element all-reduce, then a stream sync).
  std::shared_ptr<Work> barrier_async() override;
  void abort() override;

 private:
  cudaStream_t caller_stream() const;
  // Orders the communication stream after the caller's stream (Note [Stream ordering]).
  void enter();
  // Records completion and returns the Work that holds `keep_alive` until it is done.
  std::shared_ptr<Work> leave(std::vector<at::Tensor> keep_alive);
  // Aborts the communicator and throws CommError for a failed NCCL call.
  [[noreturn]] void fail(ncclResult_t result, const char* call, const char* file, int line);
  void check_usable(const at::Tensor& tensor, const char* op_name) const;
  // The tensor a collective reads or writes on the device: `tensor` itself when it is a CUDA
  // tensor of this device, else a device copy (Note [Host tensors]; `copy_in`: with its values).
  at::Tensor on_device(const at::Tensor& tensor, const char* op_name, bool copy_in) const;
  // leave() for a collective whose `result` is `device_result` on the device; when they differ
  // (a staged CPU tensor) the Work copies the result back in wait().
  std::shared_ptr<Work> leave_with(std::vector<at::Tensor> keep_alive, const at::Tensor& result,
                                   const at::Tensor& device_result);

  int rank_ = 0;
  int size_ = 1;
  int device_ = 0;
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
  bool aborted_ = false;
};

}  // namespace dpt::comm
