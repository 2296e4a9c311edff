// Every collective x dtype x op of the MPI backend against values computed by hand, for sizes
// 0, 1, odd and large enough to be split into several MPI calls.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <mpi.h>

#include <cstdlib>

#include "comm/mpi/mpi_communicator.h"
#include "common/env.h"

namespace dpt::comm {
namespace {

const std::vector<at::ScalarType> kDtypes = {at::kFloat, at::kDouble, at::kBFloat16,
                                             at::kHalf,  at::kInt,    at::kLong};
const std::vector<int64_t> kSizes = {0, 1, 7, 1001};

// Rank r's element i: (r + 1) * (i % 5 + 1); small integers, exact in every dtype.
at::Tensor input_for(int rank, int64_t n, at::ScalarType dtype) {
  at::Tensor base = at::arange(n, at::kLong).remainder(5).add(1);
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

class Collectives : public ::testing::TestWithParam<int64_t /*max chunk bytes*/> {
 protected:
  void SetUp() override {
    ::setenv(env::kMpiMaxChunkBytes, std::to_string(GetParam()).c_str(), 1);
    comm_ = std::make_unique<MpiCommunicator>(MPI_COMM_WORLD);
    ::unsetenv(env::kMpiMaxChunkBytes);
  }
  std::unique_ptr<MpiCommunicator> comm_;
};

TEST_P(Collectives, AllreduceEveryDtypeOpAndSize) {
  const int r = comm_->rank(), w = comm_->size();
  for (auto dtype : kDtypes) {
    for (auto op : {ReduceOp::kSum, ReduceOp::kAvg, ReduceOp::kMax, ReduceOp::kMin}) {
      for (int64_t n : kSizes) {
        at::Tensor t = input_for(r, n, dtype);
        comm_->allreduce(t, op);
        EXPECT_TRUE(at::equal(t, expected_allreduce(w, n, op, dtype)))
            << "dtype " << dtype << " op " << to_string(op) << " n " << n;
      }
    }
  }
}

TEST_P(Collectives, BroadcastFromEveryRoot) {
  const int r = comm_->rank(), w = comm_->size();
  for (auto dtype : kDtypes) {
    for (int root = 0; root < w; ++root) {
      for (int64_t n : kSizes) {
        at::Tensor t = input_for(r, n, dtype);
        comm_->broadcast(t, root);
        EXPECT_TRUE(at::equal(t, input_for(root, n, dtype))) << dtype << " root " << root << " n " << n;
      }
    }
  }
}

TEST_P(Collectives, AllgatherConcatenatesInRankOrder) {
  const int r = comm_->rank(), w = comm_->size();
  for (auto dtype : kDtypes) {
    for (int64_t n : kSizes) {
      at::Tensor out = at::full({w * n}, -1, dtype);
      comm_->allgather(input_for(r, n, dtype), out);
      std::vector<at::Tensor> parts;
      for (int k = 0; k < w; ++k) parts.push_back(input_for(k, n, dtype));
      EXPECT_TRUE(at::equal(out, at::cat(parts))) << dtype << " n " << n;
    }
  }
}

TEST_P(Collectives, ReduceScatterGivesEachRankItsBlock) {
  const int r = comm_->rank(), w = comm_->size();
  for (auto dtype : kDtypes) {
    for (auto op : {ReduceOp::kSum, ReduceOp::kAvg, ReduceOp::kMax, ReduceOp::kMin}) {
      for (int64_t n : kSizes) {
        at::Tensor in = input_for(r, w * n, dtype);
        at::Tensor out = at::full({n}, -1, dtype);
        comm_->reduce_scatter(in, out, op);
        at::Tensor whole = expected_allreduce(w, w * n, op, dtype);
        EXPECT_TRUE(at::equal(out, whole.narrow(0, r * n, n)))
            << dtype << " op " << to_string(op) << " n " << n;
      }
    }
  }
}

TEST_P(Collectives, BarrierAndIdentity) {
  EXPECT_NO_THROW(comm_->barrier());
  int world = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  EXPECT_EQ(comm_->size(), world);
  EXPECT_EQ(comm_->backend(), "mpi");
}

// 1 GiB (no splitting) and 8 bytes (every float32 tensor above 2 elements is split).
INSTANTIATE_TEST_SUITE_P(ChunkSizes, Collectives, ::testing::Values(int64_t{1} << 30, int64_t{8}));

}  // namespace
}  // namespace dpt::comm
