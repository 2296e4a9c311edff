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

// Completion of one collective on the communication stream.
class NcclWork : public Work {
 public:
  NcclWork(cudaEvent_t done, cudaStream_t caller, std::vector<at::Tensor> keep_alive)
      : done_(done), caller_(caller), keep_alive_(std::move(keep_alive)) {}
  ~NcclWork() override { cudaEventDestroy(done_); }
  void wait() override { DPT_CHECK_CUDA(cudaStreamWaitEvent(caller_, done_, 0)); }
  bool is_completed() override { return cudaEventQuery(done_) == cudaSuccess; }

 private:
  cudaEvent_t done_;
  cudaStream_t caller_;
  std::vector<at::Tensor> keep_alive_;
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

cudaStream_t NcclCommunicator::caller_stream() const {
#ifdef DPT_TORCH_HAS_CUDA
  return c10::cuda::getCurrentCUDAStream(static_cast<c10::DeviceIndex>(device_)).stream();
#else
  return cudaStreamLegacy;
#endif
}

void NcclCommunicator::check_device_tensor(const at::Tensor& tensor, const char* op_name) const {
  check_tensor(tensor, op_name);
  DPT_CHECK(tensor.is_cuda() && tensor.get_device() == device_, CommError,
            op_name << ": the NCCL backend takes tensors on cuda:" << device_ << ", got " << tensor.device());
  DPT_CHECK(!aborted_, CommError, op_name << ": the NCCL communicator was aborted by an earlier error");
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
  return std::make_shared<NcclWork>(done, caller_stream(), std::move(keep_alive));
}

std::shared_ptr<Work> NcclCommunicator::allreduce_async(at::Tensor& tensor, ReduceOp op) {
  check_device_tensor(tensor, "allreduce");
  enter();
  DPT_CHECK_NCCL(ncclAllReduce(tensor.data_ptr(), tensor.data_ptr(), static_cast<size_t>(tensor.numel()),
                               nccl_type(tensor.scalar_type()), nccl_op(op), comm_, stream_));
  return leave({tensor});
}

std::shared_ptr<Work> NcclCommunicator::broadcast_async(at::Tensor& tensor, int root) {
  check_device_tensor(tensor, "broadcast");
  DPT_CHECK(root >= 0 && root < size_, CommError, "broadcast: root " << root << " is not a rank of " << size_);
  enter();
  DPT_CHECK_NCCL(ncclBroadcast(tensor.data_ptr(), tensor.data_ptr(), static_cast<size_t>(tensor.numel()),
                               nccl_type(tensor.scalar_type()), root, comm_, stream_));
  return leave({tensor});
}

std::shared_ptr<Work> NcclCommunicator::allgather_async(const at::Tensor& input, at::Tensor& output) {
  check_device_tensor(input, "allgather");
  check_device_tensor(output, "allgather");
  DPT_CHECK(output.numel() == input.numel() * size_ && input.scalar_type() == output.scalar_type(),
            CommError, "allgather: output must have size() x input elements of the same dtype");
  enter();
  DPT_CHECK_NCCL(ncclAllGather(input.data_ptr(), output.data_ptr(), static_cast<size_t>(input.numel()),
                               nccl_type(input.scalar_type()), comm_, stream_));
  return leave({input, output});
}

std::shared_ptr<Work> NcclCommunicator::reduce_scatter_async(const at::Tensor& input, at::Tensor& output,
                                                             ReduceOp op) {
  check_device_tensor(input, "reduce_scatter");
  check_device_tensor(output, "reduce_scatter");
  DPT_CHECK(input.numel() == output.numel() * size_ && input.scalar_type() == output.scalar_type(),
            CommError, "reduce_scatter: input must have size() x output elements of the same dtype");
  enter();
  DPT_CHECK_NCCL(ncclReduceScatter(input.data_ptr(), output.data_ptr(), static_cast<size_t>(output.numel()),
                                   nccl_type(input.scalar_type()), nccl_op(op), comm_, stream_));
  return leave({input, output});
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
