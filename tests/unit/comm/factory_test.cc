// Backend choice and the NCCL backend's behaviour on a machine without a GPU.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "comm/factory.h"
#include "common/error.h"
#include "runtime/mpi_session.h"

namespace dpt::comm {
namespace {

class Factory : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { session_ = new runtime::MpiSession(nullptr, nullptr); }
  static void TearDownTestSuite() { delete session_; }
  static runtime::MpiSession* session_;
};
runtime::MpiSession* Factory::session_ = nullptr;

TEST_F(Factory, AutoIsMpiOnCpu) {
  runtime::DeviceBinding cpu;
  EXPECT_EQ(resolve_backend("auto", cpu), "mpi");
  auto c = make_communicator("auto", MPI_COMM_WORLD, cpu);
  EXPECT_EQ(c->backend(), "mpi");
  EXPECT_EQ(c->size(), 1);
}

TEST_F(Factory, UnknownBackendIsAConfigError) {
  EXPECT_THROW(make_communicator("gloo", MPI_COMM_WORLD, {}), ConfigError);
}

TEST_F(Factory, NcclWithoutGpuFailsClearly) {
#ifndef DPT_WITH_NCCL
  GTEST_SKIP() << "built without NCCL";
#else
  runtime::DeviceBinding gpu;
  gpu.cuda = true;
  gpu.index = 0;
  try {
    make_communicator("nccl", MPI_COMM_WORLD, gpu);
    GTEST_SKIP() << "a GPU is present: the no-GPU message cannot be checked here";
  } catch (const CommError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("NCCL backend needs a CUDA GPU"), std::string::npos) << what;
    EXPECT_NE(what.find("comm.backend=mpi"), std::string::npos) << what;
  }
#endif
}

TEST_F(Factory, MpiBackendRejectsBadTensors) {
  auto c = make_communicator("mpi", MPI_COMM_WORLD, {});
  at::Tensor strided = at::zeros({4, 4}).t();
  EXPECT_THROW(c->allreduce(strided, ReduceOp::kSum), CommError);
  at::Tensor bools = at::zeros({4}, at::kBool);
  EXPECT_THROW(c->allreduce(bools, ReduceOp::kSum), CommError);
  at::Tensor in = at::zeros({4}), out = at::zeros({3});
  EXPECT_THROW(c->allgather(in, out), CommError);
}

}  // namespace
}  // namespace dpt::comm
