// Asynchronous collectives complete, run in issue order, and report errors with the rank and
// the failing call.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <mpi.h>

#include "comm/mpi/mpi_communicator.h"
#include "common/error.h"
#include "runtime/mpi_check.h"

namespace dpt::comm {
namespace {

TEST(Async, ManyInFlightWaitedInReverseOrder) {
  MpiCommunicator comm(MPI_COMM_WORLD);
  const int w = comm.size();
  std::vector<at::Tensor> tensors;
  std::vector<std::shared_ptr<Work>> works;
  for (int k = 0; k < 16; ++k) {
    tensors.push_back(at::full({1000 + k}, static_cast<float>(k + comm.rank()), at::kFloat));
    works.push_back(comm.allreduce_async(tensors.back(), ReduceOp::kSum));
  }
  for (int k = 15; k >= 0; --k) works[static_cast<size_t>(k)]->wait();
  for (int k = 0; k < 16; ++k) {
    EXPECT_TRUE(works[static_cast<size_t>(k)]->is_completed());
    const float expected = static_cast<float>(k * w + w * (w - 1) / 2);
    EXPECT_TRUE(at::equal(tensors[static_cast<size_t>(k)], at::full({1000 + k}, expected)));
  }
}

TEST(Async, IssueOrderIsExecutionOrder) {
  // Two operations on the same tensor: the broadcast must see the all-reduce's result.
  MpiCommunicator comm(MPI_COMM_WORLD);
  at::Tensor t = at::full({64}, static_cast<double>(comm.rank() + 1), at::kDouble);
  auto a = comm.allreduce_async(t, ReduceOp::kMax);
  auto b = comm.broadcast_async(t, comm.size() - 1);
  b->wait();
  EXPECT_TRUE(a->is_completed());
  EXPECT_TRUE(at::equal(t, at::full({64}, static_cast<double>(comm.size()), at::kDouble)));
}

TEST(Async, BlockingCallRunsAfterQueuedAsyncOnes) {
  // The blocking broadcast runs on the calling thread, but only after the queued all-reduces.
  MpiCommunicator comm(MPI_COMM_WORLD);
  at::Tensor t = at::full({1 << 16}, static_cast<float>(comm.rank() + 1));
  std::vector<std::shared_ptr<Work>> works;
  for (int k = 0; k < 4; ++k) works.push_back(comm.allreduce_async(t, ReduceOp::kMax));
  comm.broadcast(t, 0);
  for (auto& w : works) EXPECT_TRUE(w->is_completed());
  EXPECT_TRUE(at::equal(t, at::full({1 << 16}, static_cast<float>(comm.size()))));
}

TEST(Async, OverlapsWithComputeOnTheCallingThread) {
  MpiCommunicator comm(MPI_COMM_WORLD);
  at::Tensor big = at::ones({1 << 20});
  auto work = comm.allreduce_async(big, ReduceOp::kSum);
  at::Tensor local = at::ones({256, 256}).matmul(at::ones({256, 256}));  // runs meanwhile
  work->wait();
  EXPECT_EQ(local[0][0].item<float>(), 256.0f);
  EXPECT_EQ(big[12345].item<float>(), static_cast<float>(comm.size()));
}

TEST(Errors, InvalidArgumentsNameTheOperation) {
  MpiCommunicator comm(MPI_COMM_WORLD);
  at::Tensor t = at::zeros({4});
  try {
    comm.broadcast(t, comm.size());
    FAIL();
  } catch (const CommError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("broadcast: root"), std::string::npos) << what;
    EXPECT_NE(what.find("rank " + std::to_string(comm.rank())), std::string::npos) << what;
  }
}

TEST(Errors, MpiFailuresCarryCallTextAndRank) {
  MPI_Comm dup = MPI_COMM_NULL;
  MPI_Comm_dup(MPI_COMM_WORLD, &dup);
  MPI_Comm_set_errhandler(dup, MPI_ERRORS_RETURN);
  int size = 0, rank = 0, value = 0;
  MPI_Comm_size(dup, &size);
  MPI_Comm_rank(dup, &rank);
  try {
    DPT_CHECK_MPI(MPI_Bcast(&value, 1, MPI_INT, size + 5, dup));  // invalid root on every rank
    FAIL();
  } catch (const CommError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("MPI_Bcast(&value, 1, MPI_INT, size + 5, dup)"), std::string::npos) << what;
    EXPECT_NE(what.find("MPI error:"), std::string::npos) << what;
    EXPECT_NE(what.find("rank " + std::to_string(rank)), std::string::npos) << what;
  }
  MPI_Comm_free(&dup);
}

}  // namespace
}  // namespace dpt::comm
