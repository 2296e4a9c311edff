// An all-reduce of more than 2^31 bytes: split into 1 GiB MPI calls (the default chunk), so no
// count overflows int and no single message exceeds what MPI libraries handle well.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "comm/mpi/mpi_communicator.h"

namespace dpt::comm {
namespace {

TEST(Large, AllreduceAbove2GiB) {
  MpiCommunicator comm(MPI_COMM_WORLD);
  const int64_t n = (int64_t{1} << 29) + 1001;  // 2^31 + 4004 bytes of float32
  ASSERT_GT(n * 4, int64_t{1} << 31);
  ASSERT_LT(comm.chunk_elements(at::kFloat), n);  // really split
  at::Tensor t = at::full({n}, static_cast<float>(comm.rank() + 1));
  // Mark the ends so a misplaced chunk would show.
  t[0] = 1000.0f * (comm.rank() + 1);
  t[n - 1] = -3.0f * (comm.rank() + 1);
  comm.allreduce(t, ReduceOp::kSum);
  const int w = comm.size();
  const float s = w * (w + 1) / 2.0f;
  EXPECT_EQ(t[0].item<float>(), 1000.0f * s);
  EXPECT_EQ(t[n - 1].item<float>(), -3.0f * s);
  EXPECT_EQ(t[n / 2].item<float>(), s);
  EXPECT_EQ(t.narrow(0, 1, n - 2).eq(s).all().item<bool>(), true);
}

}  // namespace
}  // namespace dpt::comm
