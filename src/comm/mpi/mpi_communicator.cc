#include "comm/mpi/mpi_communicator.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <climits>
#include <cstdio>

#include "common/env.h"
#include "common/trace.h"
#include "runtime/mpi_check.h"

namespace dpt::comm {
namespace {

constexpr int64_t kDefaultMaxChunkBytes = int64_t{1} << 30;

char* bytes(const at::Tensor& t) { return static_cast<char*>(t.data_ptr()); }

// "allreduce 1.25 MiB" for the timeline; empty (and free) when nobody traces.
std::string trace_label(const char* op, const at::Tensor& t) {
  if (trace::current() == nullptr) return {};
  char text[64];
  std::snprintf(text, sizeof text, "%s %.2f MiB", op, static_cast<double>(t.nbytes()) / (1 << 20));
  return text;
}

}  // namespace

MpiCommunicator::MpiCommunicator(MPI_Comm comm)
    : max_chunk_bytes_(env::get_int(env::kMpiMaxChunkBytes, kDefaultMaxChunkBytes)) {
  DPT_CHECK(max_chunk_bytes_ >= 8, ConfigError,
            env::kMpiMaxChunkBytes << "=" << max_chunk_bytes_ << " is too small (at least 8)");
  DPT_CHECK_MPI(MPI_Comm_dup(comm, &comm_));
  DPT_CHECK_MPI(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
  DPT_CHECK_MPI(MPI_Comm_rank(comm_, &rank_));
  DPT_CHECK_MPI(MPI_Comm_size(comm_, &size_));
  worker_ = std::make_unique<MpiWorker>();
}

MpiCommunicator::~MpiCommunicator() {
  worker_.reset();  // runs (or, while unwinding, abandons) the queued collectives
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

int64_t MpiCommunicator::chunk_elements(c10::ScalarType dtype) const {
  const int64_t elements = max_chunk_bytes_ / static_cast<int64_t>(c10::elementSize(dtype));
  return std::min<int64_t>(elements, INT_MAX);
}

std::function<void()> MpiCommunicator::allreduce_task(const at::Tensor& tensor, ReduceOp op) {
  check_tensor(tensor, "allreduce");
  DPT_CHECK(tensor.device().is_cpu(), CommError, "allreduce: the MPI backend takes CPU tensors, got "
            << tensor.device() << " (use comm.backend=nccl for GPU tensors)");
  at::Tensor t = tensor;  // shares storage; keeps it alive until the task ran
  return [this, t, op]() mutable { run_allreduce(t, op); };
}

std::function<void()> MpiCommunicator::broadcast_task(const at::Tensor& tensor, int root) {
  check_tensor(tensor, "broadcast");
  DPT_CHECK(root >= 0 && root < size_, CommError, "broadcast: root " << root << " is not a rank of " << size_);
  at::Tensor t = tensor;
  return [this, t, root]() mutable { run_broadcast(t, root); };
}

std::function<void()> MpiCommunicator::allgather_task(const at::Tensor& input, const at::Tensor& output) {
  check_tensor(input, "allgather");
  check_tensor(output, "allgather");
  DPT_CHECK(input.scalar_type() == output.scalar_type(), CommError, "allgather: input is "
            << input.scalar_type() << " but output is " << output.scalar_type());
  DPT_CHECK(output.numel() == input.numel() * size_, CommError, "allgather: output has " << output.numel()
            << " elements, needs size() x input = " << input.numel() * size_);
  at::Tensor in = input, out = output;
  return [this, in, out]() mutable { run_allgather(in, out); };
}

std::function<void()> MpiCommunicator::reduce_scatter_task(const at::Tensor& input, const at::Tensor& output,
                                                           ReduceOp op) {
  check_tensor(input, "reduce_scatter");
  check_tensor(output, "reduce_scatter");
  DPT_CHECK(input.scalar_type() == output.scalar_type(), CommError, "reduce_scatter: input is "
            << input.scalar_type() << " but output is " << output.scalar_type());
  DPT_CHECK(input.numel() == output.numel() * size_, CommError, "reduce_scatter: input has " << input.numel()
            << " elements, needs size() x output = " << output.numel() * size_);
  at::Tensor in = input, out = output;
  return [this, in, out, op]() mutable { run_reduce_scatter(in, out, op); };
}

std::function<void()> MpiCommunicator::barrier_task() {
  return [this] { DPT_CHECK_MPI(MPI_Barrier(comm_)); };
}

std::shared_ptr<Work> MpiCommunicator::allreduce_async(at::Tensor& tensor, ReduceOp op) {
  return worker_->submit(allreduce_task(tensor, op), trace_label("allreduce", tensor));
}
std::shared_ptr<Work> MpiCommunicator::broadcast_async(at::Tensor& tensor, int root) {
  return worker_->submit(broadcast_task(tensor, root));
}
std::shared_ptr<Work> MpiCommunicator::allgather_async(const at::Tensor& input, at::Tensor& output) {
  return worker_->submit(allgather_task(input, output));
}
std::shared_ptr<Work> MpiCommunicator::reduce_scatter_async(const at::Tensor& input, at::Tensor& output,
                                                            ReduceOp op) {
  return worker_->submit(reduce_scatter_task(input, output, op));
}
std::shared_ptr<Work> MpiCommunicator::barrier_async() { return worker_->submit(barrier_task()); }

void MpiCommunicator::allreduce(at::Tensor& tensor, ReduceOp op) { worker_->run_inline(allreduce_task(tensor, op)); }
void MpiCommunicator::broadcast(at::Tensor& tensor, int root) { worker_->run_inline(broadcast_task(tensor, root)); }
void MpiCommunicator::allgather(const at::Tensor& input, at::Tensor& output) {
  worker_->run_inline(allgather_task(input, output));
}
void MpiCommunicator::reduce_scatter(const at::Tensor& input, at::Tensor& output, ReduceOp op) {
  worker_->run_inline(reduce_scatter_task(input, output, op));
}
void MpiCommunicator::barrier() { worker_->run_inline(barrier_task()); }

void MpiCommunicator::abort() { MPI_Abort(comm_, 1); }

void MpiCommunicator::divide_for_avg(at::Tensor& tensor) const {
  if (at::isFloatingType(tensor.scalar_type())) {
    tensor.div_(size_);
  } else {
    tensor.div_(size_, "trunc");
  }
}

void MpiCommunicator::run_allreduce(at::Tensor& tensor, ReduceOp op) {
  const MPI_Datatype type = types_.datatype(tensor.scalar_type());
  const MPI_Op mpi_op = types_.reduce_op(op, tensor.scalar_type());
  const int64_t chunk = chunk_elements(tensor.scalar_type());
  const int64_t item = static_cast<int64_t>(tensor.element_size());
  for (int64_t off = 0; off < tensor.numel(); off += chunk) {
    const int count = static_cast<int>(std::min(chunk, tensor.numel() - off));
    DPT_CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, bytes(tensor) + off * item, count, type, mpi_op, comm_));
  }
  if (op == ReduceOp::kAvg) divide_for_avg(tensor);
}

void MpiCommunicator::run_broadcast(at::Tensor& tensor, int root) {
  const MPI_Datatype type = types_.datatype(tensor.scalar_type());
  const int64_t chunk = chunk_elements(tensor.scalar_type());
  const int64_t item = static_cast<int64_t>(tensor.element_size());
  for (int64_t off = 0; off < tensor.numel(); off += chunk) {
    const int count = static_cast<int>(std::min(chunk, tensor.numel() - off));
    DPT_CHECK_MPI(MPI_Bcast(bytes(tensor) + off * item, count, type, root, comm_));
  }
}

void MpiCommunicator::run_allgather(const at::Tensor& input, at::Tensor& output) {
  const MPI_Datatype type = types_.datatype(input.scalar_type());
  const int64_t n = input.numel();
  const int64_t chunk = chunk_elements(input.scalar_type());
  if (n <= chunk) {
    DPT_CHECK_MPI(MPI_Allgather(bytes(input), static_cast<int>(n), type, bytes(output),
                                static_cast<int>(n), type, comm_));
    return;
  }
  // Split: gather piece [off, off+k) of every rank into a staging buffer, then place each
  // rank's piece at its offset in output.
  const at::Tensor flat_out = output.view({size_, n});
  at::Tensor staging = at::empty({size_, std::min(chunk, n)}, input.options());
  for (int64_t off = 0; off < n; off += chunk) {
    const int64_t k = std::min(chunk, n - off);
    at::Tensor piece = staging.narrow(1, 0, k).contiguous();
    DPT_CHECK_MPI(MPI_Allgather(bytes(input) + off * input.element_size(), static_cast<int>(k), type,
                                bytes(piece), static_cast<int>(k), type, comm_));
    flat_out.narrow(1, off, k).copy_(piece);
  }
}

void MpiCommunicator::run_reduce_scatter(const at::Tensor& input, at::Tensor& output, ReduceOp op) {
  const MPI_Datatype type = types_.datatype(input.scalar_type());
  const MPI_Op mpi_op = types_.reduce_op(op, input.scalar_type());
  const int64_t n = output.numel();
  const int64_t chunk = chunk_elements(input.scalar_type());
  if (n <= chunk) {
    DPT_CHECK_MPI(MPI_Reduce_scatter_block(bytes(input), bytes(output), static_cast<int>(n), type,
                                           mpi_op, comm_));
  } else {
    // Split: for piece [off, off+k) of every rank's block, pack the pieces contiguously, then
    // reduce-scatter the packed buffer into output[off, off+k).
    const at::Tensor blocks = input.view({size_, n});
    for (int64_t off = 0; off < n; off += chunk) {
      const int64_t k = std::min(chunk, n - off);
      at::Tensor packed = blocks.narrow(1, off, k).contiguous();
      DPT_CHECK_MPI(MPI_Reduce_scatter_block(bytes(packed), bytes(output) + off * output.element_size(),
                                             static_cast<int>(k), type, mpi_op, comm_));
    }
  }
  if (op == ReduceOp::kAvg) divide_for_avg(output);
}

}  // namespace dpt::comm
