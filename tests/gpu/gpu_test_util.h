#pragma once
// Shared by the GPU tests: the rank's GPU binding, or a skip with the reason there is none.
#include <ATen/Context.h>
#include <gtest/gtest.h>
#include <mpi.h>

#include <string>

#include "runtime/device.h"
#include "runtime/topology.h"

namespace dpt::gpu_test {

// Empty when this process can run CUDA tensors on its own GPU (one per local rank), else why not.
inline std::string why_no_gpu(runtime::DeviceBinding* binding) {
  if (!at::hasCUDA()) return "LibTorch was built without CUDA (configure against a CUDA LibTorch)";
  if (runtime::cuda_device_count() == 0) return "no CUDA device is visible";
  *binding = runtime::bind_device(runtime::discover_topology(MPI_COMM_WORLD));
  if (!binding->cuda) return "fewer GPUs than ranks on this node";
  return "";
}

}  // namespace dpt::gpu_test

// In a fixture's SetUp(): fills `binding` or skips the test.
#define DPT_REQUIRE_GPU(binding)                                          \
  do {                                                                    \
    const std::string dpt_why_ = ::dpt::gpu_test::why_no_gpu(&(binding)); \
    if (!dpt_why_.empty()) GTEST_SKIP() << dpt_why_;                      \
  } while (0)
