// The NCCL backend, made by make_communicator("nccl", ...), on CUDA tensors: every collective x
// dtype x op against values computed by hand (as tests/mpi/comm/collectives_test.cc does for
// MPI), CPU tensors staged through the GPU (Note [Host tensors]), and the stream ordering of
// Note [Stream ordering]: writes before a collective, reads after wait(), a non-default current
// stream, and a collective issued on one thread and waited for on another. Runs on any number of
// ranks with one GPU each; skipped without a GPU.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <mpi.h>

#include <thread>

#include "comm/factory.h"
#include "common/error.h"
#include "gpu/gpu_test_util.h"
#ifdef DPT_TORCH_HAS_CUDA
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace dpt::comm {
namespace {

const std::vector<at::ScalarType> kDtypes = {at::kFloat, at::kDouble, at::kBFloat16,
                                             at::kHalf,  at::kInt,    at::kLong};
const std::vector<int64_t> kSizes = {0, 1, 7, 1001, 1 << 20};
const std::vector<ReduceOp> kOps = {ReduceOp::kSum, ReduceOp::kAvg, ReduceOp::kMax, ReduceOp::kMin};

// Rank r's element i: (r + 1) * (i % 5 + 1); small integers, exact in every dtype.
at::Tensor input_for(int rank, int64_t n, at::ScalarType dtype, const at::Device& device) {
  at::Tensor base = at::arange(n, at::TensorOptions().dtype(at::kLong).device(device)).remainder(5).add(1);
  return base.mul(rank + 1).to(dtype);
}

at::Tensor expected_allreduce(int world, int64_t n, ReduceOp op, at::ScalarType dtype) {
  at::Tensor base = at::arange(n, at::kLong).remainder(5).add(1).to(at::kDouble);
  const double sum_factor = world * (world + 1) / 2.0;
  switch (op) {
    case ReduceOp::kSum: return base.mul(sum_factor).to(dtype);
    case ReduceOp::kMax: return base.mul(world).to(dtype);
    case ReduceOp::kMin: return base.to(dtype);
    case ReduceOp::kAvg:
      if (at::isFloatingType(dtype)) return base.mul(sum_factor / world).to(dtype);
      return base.mul(sum_factor).div(world, "trunc").to(dtype);
  }
  return {};
}

bool same(const at::Tensor& a, const at::Tensor& b) { return at::equal(a.cpu(), b.cpu()); }

class NcclCollectives : public ::testing::Test {
 protected:
  void SetUp() override {
    DPT_REQUIRE_GPU(binding_);
    comm_ = make_communicator("nccl", MPI_COMM_WORLD, binding_);
    device_ = at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(binding_.index));
  }
  runtime::DeviceBinding binding_;
  std::unique_ptr<Communicator> comm_;
  at::Device device_{at::kCPU};
};

TEST_F(NcclCollectives, IsTheNcclBackendOnThisRanksGpu) {
  int world = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  EXPECT_EQ(comm_->backend(), "nccl");
  EXPECT_EQ(comm_->size(), world);
  EXPECT_NO_THROW(comm_->barrier());
}

TEST_F(NcclCollectives, AllreduceEveryDtypeOpAndSize) {
  const int r = comm_->rank(), w = comm_->size();
  for (auto dtype : kDtypes) {
    for (auto op : kOps) {
      for (int64_t n : kSizes) {
        at::Tensor t = input_for(r, n, dtype, device_);
        comm_->allreduce(t, op);
        EXPECT_TRUE(t.is_cuda());
        EXPECT_TRUE(same(t, expected_allreduce(w, n, op, dtype)))
            << "dtype " << dtype << " op " << to_string(op) << " n " << n;
      }
    }
  }
}

TEST_F(NcclCollectives, BroadcastFromEveryRoot) {
  const int r = comm_->rank(), w = comm_->size();
  for (auto dtype : kDtypes) {
    for (int root = 0; root < w; ++root) {
      for (int64_t n : kSizes) {
        at::Tensor t = input_for(r, n, dtype, device_);
        comm_->broadcast(t, root);
        EXPECT_TRUE(same(t, input_for(root, n, dtype, at::kCPU))) << dtype << " root " << root << " n " << n;
      }
    }
  }
}

TEST_F(NcclCollectives, AllgatherConcatenatesInRankOrder) {
  const int r = comm_->rank(), w = comm_->size();
  for (auto dtype : kDtypes) {
    for (int64_t n : kSizes) {
      at::Tensor out = at::full({w * n}, -1, at::TensorOptions().dtype(dtype).device(device_));
      comm_->allgather(input_for(r, n, dtype, device_), out);
      std::vector<at::Tensor> parts;
      for (int k = 0; k < w; ++k) parts.push_back(input_for(k, n, dtype, at::kCPU));
      EXPECT_TRUE(same(out, at::cat(parts))) << dtype << " n " << n;
    }
  }
}

TEST_F(NcclCollectives, ReduceScatterGivesEachRankItsBlock) {
  const int r = comm_->rank(), w = comm_->size();
  for (auto dtype : kDtypes) {
    for (auto op : kOps) {
      for (int64_t n : kSizes) {
        at::Tensor in = input_for(r, w * n, dtype, device_);
        at::Tensor out = at::full({n}, -1, at::TensorOptions().dtype(dtype).device(device_));
        comm_->reduce_scatter(in, out, op);
        EXPECT_TRUE(same(out, expected_allreduce(w, w * n, op, dtype).narrow(0, r * n, n)))
            << dtype << " op " << to_string(op) << " n " << n;
      }
    }
  }
}

// Note [Host tensors]: the trainer's metric means and replica checks are CPU tensors.
TEST_F(NcclCollectives, CpuTensorsAreStagedThroughTheGpu) {
  const int r = comm_->rank(), w = comm_->size();
  for (auto dtype : {at::kDouble, at::kInt, at::kLong}) {
    at::Tensor t = input_for(r, 7, dtype, at::kCPU);
    comm_->allreduce(t, ReduceOp::kSum);
    EXPECT_TRUE(t.is_cpu());
    EXPECT_TRUE(same(t, expected_allreduce(w, 7, ReduceOp::kSum, dtype))) << dtype;

    at::Tensor b = input_for(r, 5, dtype, at::kCPU);
    comm_->broadcast(b, 0);
    EXPECT_TRUE(same(b, input_for(0, 5, dtype, at::kCPU))) << dtype;

    at::Tensor gathered = at::full({w * 3}, -1, dtype);
    comm_->allgather(input_for(r, 3, dtype, at::kCPU), gathered);
    std::vector<at::Tensor> parts;
    for (int k = 0; k < w; ++k) parts.push_back(input_for(k, 3, dtype, at::kCPU));
    EXPECT_TRUE(gathered.is_cpu());
    EXPECT_TRUE(same(gathered, at::cat(parts))) << dtype;
  }
  // Async form: the CPU tensor holds the result once wait() returns.
  at::Tensor t = at::full({4}, r + 1, at::kDouble);
  auto work = comm_->allreduce_async(t, ReduceOp::kMax);
  work->wait();
  EXPECT_TRUE(same(t, at::full({4}, w, at::kDouble)));
}

TEST_F(NcclCollectives, RejectsTensorsOnAnotherDevice) {
  at::Tensor strided = at::zeros({4, 4}, at::TensorOptions().device(device_)).t();
  EXPECT_THROW(comm_->allreduce(strided, ReduceOp::kSum), CommError);
  at::Tensor bools = at::zeros({4}, at::TensorOptions().dtype(at::kBool).device(device_));
  EXPECT_THROW(comm_->allreduce(bools, ReduceOp::kSum), CommError);
  at::Tensor in = at::zeros({4}, at::TensorOptions().device(device_));
  at::Tensor out = at::zeros({3}, at::TensorOptions().device(device_));
  EXPECT_THROW(comm_->allgather(in, out), CommError);
}

// A long chain of kernels writes the input on the current stream; the collective must read only
// after it (enter()), and a read queued on the current stream after wait() must see the result.
// Out-of-place allgather, so that even one rank copies data and a race would show.
void check_ordering(Communicator& comm, const at::Device& device) {
  const int r = comm.rank(), w = comm.size();
  const int64_t n = int64_t{32} << 20;  // 128 MiB of float32: the writes take a while
  at::Tensor in = at::zeros({n}, at::TensorOptions().device(device));
  // 21 kernels in a row; the value ends at r + 1 (the float32 sum of twenty (r+1)/20, rounded).
  for (int k = 0; k < 20; ++k) in.add_(static_cast<double>(r + 1) / 20.0);
  in.round_();
  at::Tensor out = at::empty({w * n}, in.options());
  auto work = comm.allgather_async(in, out);
  work->wait();
  const at::Tensor sums = out.view({w, n}).sum(1).cpu();  // queued on the current stream after wait()
  for (int k = 0; k < w; ++k) {
    EXPECT_DOUBLE_EQ(sums[k].item<double>(), static_cast<double>(n) * (k + 1)) << "rank " << k << "'s block";
  }
}

TEST_F(NcclCollectives, OrdersAfterWritesAndBeforeReadsOnTheCurrentStream) { check_ordering(*comm_, device_); }

TEST_F(NcclCollectives, FollowsANonDefaultCurrentStream) {
#ifndef DPT_TORCH_HAS_CUDA
  GTEST_SKIP() << "needs c10::cuda (a CUDA LibTorch)";
#else
  c10::cuda::CUDAStreamGuard guard(c10::cuda::getStreamFromPool(/*isHighPriority=*/false, device_.index()));
  check_ordering(*comm_, device_);
#endif
}

// The gradient hooks issue collectives on autograd's thread; the trainer waits on its own.
TEST_F(NcclCollectives, IssuedOnOneThreadWaitedOnAnother) {
  const int w = comm_->size();
  at::Tensor t = at::ones({1 << 22}, at::TensorOptions().device(device_));
  std::shared_ptr<Work> work;
  std::thread issuer([&] { work = comm_->allreduce_async(t, ReduceOp::kSum); });
  issuer.join();
  work->wait();
  EXPECT_DOUBLE_EQ(t.sum().item<double>(), static_cast<double>(w) * (1 << 22));
}

}  // namespace
}  // namespace dpt::comm
