#include "comm/nccl/nccl_communicator.h"

#include <ATen/ATen.h>

#include "common/error.h"
#include "runtime/cuda_check.h"
#include "runtime/mpi_check.h"
#ifdef DPT_TORCH_HAS_CUDA
#include <c10/cuda/CUDAStream.h>
#endif

#define DPT_CHECK_NCCL(call)                                           \
  do {                                                                 \
    const ncclResult_t dpt_nccl_rc_ = (call);                          \
    if (dpt_nccl_rc_ != ncclSuccess) fail(dpt_nccl_rc_, #call, __FILE__, __LINE__); \
  } while (0)

namespace dpt::comm {
namespace {

ncclDataType_t nccl_type(c10::ScalarType dtype) {
  switch (dtype) {
    case c10::kFloat: return ncclFloat32;
    case c10::kDouble: return ncclFloat64;
    case c10::kHalf: return ncclFloat16;
    case c10::kBFloat16: return ncclBfloat16;
    case c10::kInt: return ncclInt32;
    case c10::kLong: return ncclInt64;
    default: DPT_THROW(CommError, "no NCCL datatype for " << dtype);
  }
}

ncclRedOp_t nccl_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum: return ncclSum;
    case ReduceOp::kAvg: return ncclAvg;
    case ReduceOp::kMax: return ncclMax;
    case ReduceOp::kMin: return ncclMin;
  }
  return ncclSum;
}

cudaStream_t current_stream(int device) {
#ifdef DPT_TORCH_HAS_CUDA
  return c10::cuda::getCurrentCUDAStream(static_cast<c10::DeviceIndex>(device)).stream();
#else
  (void)device;
  return cudaStreamLegacy;
#endif
}

// Completion of one collective on the communication stream (Note [Stream ordering]).
class NcclWork : public Work {
 public:
  NcclWork(cudaEvent_t done, int device, std::vector<at::Tensor> keep_alive)
      : done_(done), device_(device), keep_alive_(std::move(keep_alive)) {}
  ~NcclWork() override { cudaEventDestroy(done_); }
  void wait() override { DPT_CHECK_CUDA(cudaStreamWaitEvent(current_stream(device_), done_, 0)); }
  bool is_completed() override { return cudaEventQuery(done_) == cudaSuccess; }

 private:
  cudaEvent_t done_;
  int device_;
  std::vector<at::Tensor> keep_alive_;
};

// A collective on a device copy of a CPU tensor (Note [Host tensors]): wait() orders the
// current stream after the collective, then copies the result back, which blocks the host
// until it is there.
class StagedWork : public Work {
 public:
  StagedWork(std::shared_ptr<Work> collective, at::Tensor host, at::Tensor device)
      : collective_(std::move(collective)), host_(std::move(host)), device_(std::move(device)) {}
  void wait() override {
    collective_->wait();
    host_.copy_(device_);
  }
  bool is_completed() override { return collective_->is_completed(); }

 private:
  std::shared_ptr<Work> collective_;
  at::Tensor host_;
  at::Tensor device_;
};

}  // namespace

NcclCommunicator::NcclCommunicator(MPI_Comm world, int device) : device_(device) {
  int count = 0;
  const cudaError_t rc = cudaGetDeviceCount(&count);
  if (rc != cudaSuccess || count == 0) {
    cudaGetLastError();
    DPT_THROW(CommError, "the NCCL backend needs a CUDA GPU, but this process sees none ("
              << (rc != cudaSuccess ? cudaGetErrorString(rc) : "0 devices")
              << "); on CPU-only machines use --comm.backend=mpi (or auto)");
  }
  DPT_CHECK(device >= 0 && device < count, CommError,
            "NCCL backend: CUDA device " << device << " does not exist (" << count << " visible)");
  DPT_CHECK_MPI(MPI_Comm_rank(world, &rank_));
  DPT_CHECK_MPI(MPI_Comm_size(world, &size_));
  ncclUniqueId id;
  if (rank_ == 0) DPT_CHECK_NCCL(ncclGetUniqueId(&id));
  DPT_CHECK_MPI(MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, world));
  DPT_CHECK_CUDA(cudaSetDevice(device_));
  DPT_CHECK_CUDA(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  DPT_CHECK_NCCL(ncclCommInitRank(&comm_, size_, id, rank_));
}

NcclCommunicator::~NcclCommunicator() {
  if (comm_ != nullptr && !aborted_) {
    cudaStreamSynchronize(stream_);
    ncclCommDestroy(comm_);
  }
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
}

void NcclCommunicator::fail(ncclResult_t result, const char* call, const char* file, int line) {
  std::string message = std::string("NCCL error: ") + ncclGetErrorString(result);
  if (comm_ != nullptr) {
    const char* last = ncclGetLastError(comm_);
    if (last != nullptr && *last != '\0') message += std::string(" (") + last + ")";
  }
  abort();
  throw CommError(format_error(message, call, file, line));
}

void NcclCommunicator::abort() {
  if (comm_ != nullptr && !aborted_) {
    aborted_ = true;
    ncclCommAbort(comm_);
  }
}

cudaStream_t NcclCommunicator::caller_stream() const { return current_stream(device_); }

void NcclCommunicator::check_usable(const at::Tensor& tensor, const char* op_name) const {
  check_tensor(tensor, op_name);
  DPT_CHECK(tensor.is_cpu() || (tensor.is_cuda() && tensor.get_device() == device_), CommError,
            op_name << ": the NCCL backend takes tensors on cuda:" << device_ << " (or small CPU tensors, "
            "staged through it), got " << tensor.device());
  DPT_CHECK(!aborted_, CommError, op_name << ": the NCCL communicator was aborted by an earlier error");
}

at::Tensor NcclCommunicator::on_device(const at::Tensor& tensor, const char* op_name, bool copy_in) const {
  check_usable(tensor, op_name);
  if (tensor.is_cuda()) return tensor;
  const at::Device device(at::kCUDA, static_cast<c10::DeviceIndex>(device_));
  // A synchronous copy from pageable memory on the current stream, which enter() then orders
  // the communication stream after.
  return copy_in ? tensor.to(device) : at::empty(tensor.sizes(), tensor.options().device(device));
}

void NcclCommunicator::enter() {
  cudaEvent_t ready = nullptr;
  DPT_CHECK_CUDA(cudaEventCreateWithFlags(&ready, cudaEventDisableTiming));
  DPT_CHECK_CUDA(cudaEventRecord(ready, caller_stream()));
  DPT_CHECK_CUDA(cudaStreamWaitEvent(stream_, ready, 0));
  DPT_CHECK_CUDA(cudaEventDestroy(ready));  // released once the wait is enqueued
}

std::shared_ptr<Work> NcclCommunicator::leave(std::vector<at::Tensor> keep_alive) {
  cudaEvent_t done = nullptr;
  DPT_CHECK_CUDA(cudaEventCreateWithFlags(&done, cudaEventDisableTiming));
  DPT_CHECK_CUDA(cudaEventRecord(done, stream_));
  return std::make_shared<NcclWork>(done, device_, std::move(keep_alive));
}

std::shared_ptr<Work> NcclCommunicator::leave_with(std::vector<at::Tensor> keep_alive, const at::Tensor& result,
                                                   const at::Tensor& device_result) {
  std::shared_ptr<Work> work = leave(std::move(keep_alive));
  if (result.is_same(device_result)) return work;
  return std::make_shared<StagedWork>(std::move(work), result, device_result);
}

std::shared_ptr<Work> NcclCommunicator::allreduce_async(at::Tensor& tensor, ReduceOp op) {
  const at::Tensor t = on_device(tensor, "allreduce", /*copy_in=*/true);
  enter();
  DPT_CHECK_NCCL(ncclAllReduce(t.data_ptr(), t.data_ptr(), static_cast<size_t>(t.numel()),
                               nccl_type(t.scalar_type()), nccl_op(op), comm_, stream_));
  return leave_with({t}, tensor, t);
}

std::shared_ptr<Work> NcclCommunicator::broadcast_async(at::Tensor& tensor, int root) {
  DPT_CHECK(root >= 0 && root < size_, CommError, "broadcast: root " << root << " is not a rank of " << size_);
  const at::Tensor t = on_device(tensor, "broadcast", /*copy_in=*/true);
  enter();
  DPT_CHECK_NCCL(ncclBroadcast(t.data_ptr(), t.data_ptr(), static_cast<size_t>(t.numel()),
                               nccl_type(t.scalar_type()), root, comm_, stream_));
  return leave_with({t}, tensor, t);
}

std::shared_ptr<Work> NcclCommunicator::allgather_async(const at::Tensor& input, at::Tensor& output) {
  check_usable(input, "allgather");
  check_usable(output, "allgather");
  DPT_CHECK(output.numel() == input.numel() * size_ && input.scalar_type() == output.scalar_type(),
            CommError, "allgather: output must have size() x input elements of the same dtype");
  const at::Tensor in = on_device(input, "allgather", /*copy_in=*/true);
  const at::Tensor out = on_device(output, "allgather", /*copy_in=*/false);
  enter();
  DPT_CHECK_NCCL(ncclAllGather(in.data_ptr(), out.data_ptr(), static_cast<size_t>(in.numel()),
                               nccl_type(in.scalar_type()), comm_, stream_));
  return leave_with({in, out}, output, out);
}

std::shared_ptr<Work> NcclCommunicator::reduce_scatter_async(const at::Tensor& input, at::Tensor& output,
                                                             ReduceOp op) {
  check_usable(input, "reduce_scatter");
  check_usable(output, "reduce_scatter");
  DPT_CHECK(input.numel() == output.numel() * size_ && input.scalar_type() == output.scalar_type(),
            CommError, "reduce_scatter: input must have size() x output elements of the same dtype");
  const at::Tensor in = on_device(input, "reduce_scatter", /*copy_in=*/true);
  const at::Tensor out = on_device(output, "reduce_scatter", /*copy_in=*/false);
  enter();
  DPT_CHECK_NCCL(ncclReduceScatter(in.data_ptr(), out.data_ptr(), static_cast<size_t>(out.numel()),
                                   nccl_type(in.scalar_type()), nccl_op(op), comm_, stream_));
  return leave_with({in, out}, output, out);
}

std::shared_ptr<Work> NcclCommunicator::barrier_async() {
  DPT_CHECK(!aborted_, CommError, "barrier: the NCCL communicator was aborted by an earlier error");
  at::Tensor one = at::ones({1}, at::TensorOptions().dtype(at::kFloat).device(at::kCUDA, device_));
  enter();
  DPT_CHECK_NCCL(ncclAllReduce(one.data_ptr(), one.data_ptr(), 1, ncclFloat32, ncclSum, comm_, stream_));
  DPT_CHECK_CUDA(cudaStreamSynchronize(stream_));
  return leave({one});
}

}  // namespace dpt::comm

namespace dpt::comm {

std::unique_ptr<Communicator> make_nccl_communicator(MPI_Comm world, int device) {
  return std::make_unique<NcclCommunicator>(world, device);
}

}  // namespace dpt::comm
