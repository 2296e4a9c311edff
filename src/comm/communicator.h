#pragma once
// Communicator: the small interface every collective in dptrain goes through. Backends (MPI in
// comm/mpi/, NCCL in comm/nccl/) implement it; make_communicator() picks one.
//
// Contract (as c10d's ProcessGroup): every rank calls the same collectives in the same order
// with tensors of the same dtype and number of elements. Operations are in place on contiguous
// tensors of float32/float64/bfloat16/float16/int32/int64. The *_async forms return at once;
// the tensors must stay alive and untouched until Work::wait() returns. Collectives issued
// from one thread run in issue order. Errors surface as CommError from wait() (async) or from
// the blocking call.
#include <ATen/core/Tensor.h>

#include <memory>
#include <string>

namespace dpt::comm {

enum class ReduceOp { kSum, kAvg, kMax, kMin };
const char* to_string(ReduceOp op);

// Handle of an issued collective.
class Work {
 public:
  virtual ~Work() = default;
  // Blocks until the collective finished and its result is visible to the caller (for GPU
  // backends: ordered before later work on the caller's current stream). Rethrows its error.
  virtual void wait() = 0;
  // Non-blocking: true once finished (successfully or not).
  virtual bool is_completed() = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string backend() const = 0;

  // tensor := op over all ranks of tensor. kAvg on integer tensors truncates toward zero.
  virtual std::shared_ptr<Work> allreduce_async(at::Tensor& tensor, ReduceOp op) = 0;
  // tensor := root's tensor.
  virtual std::shared_ptr<Work> broadcast_async(at::Tensor& tensor, int root) = 0;
  // output (size()·input.numel() elements) := concatenation of every rank's input, rank order.
  virtual std::shared_ptr<Work> allgather_async(const at::Tensor& input, at::Tensor& output) = 0;
  // output (input.numel()/size() elements) := this rank's block of op over all ranks' input.
  virtual std::shared_ptr<Work> reduce_scatter_async(const at::Tensor& input, at::Tensor& output,
                                                     ReduceOp op) = 0;
  virtual std::shared_ptr<Work> barrier_async() = 0;

  // Ends every rank's pending and future collectives with an error instead of a hang; used
  // before throwing on a fatal error. The communicator is unusable afterwards.
  virtual void abort() = 0;

  // Tells the communicator which training step the following collectives belong to, for the
  // watchdog's report and the desync check (comm/guarded_communicator.h). Default: ignored.
  virtual void note_step(int64_t step) { (void)step; }

  // Blocking forms: same contract, return when done. Backends may run them without a
  // thread hand-off; the default issues the async form and waits.
  virtual void allreduce(at::Tensor& tensor, ReduceOp op) { allreduce_async(tensor, op)->wait(); }
  virtual void broadcast(at::Tensor& tensor, int root) { broadcast_async(tensor, root)->wait(); }
  virtual void allgather(const at::Tensor& input, at::Tensor& output) {
    allgather_async(input, output)->wait();
  }
  virtual void reduce_scatter(const at::Tensor& input, at::Tensor& output, ReduceOp op) {
    reduce_scatter_async(input, output, op)->wait();
  }
  virtual void barrier() { barrier_async()->wait(); }
};

// Checks the shared preconditions of a collective (contiguous, supported dtype, sizes) and
// throws CommError naming `op_name` and what is wrong.
void check_tensor(const at::Tensor& tensor, const char* op_name);

}  // namespace dpt::comm
