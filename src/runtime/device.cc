#include "runtime/device.h"

#include <algorithm>
#include <thread>

#include "common/error.h"
#include "common/log.h"
#ifdef DPT_WITH_CUDA
#include "runtime/cuda_check.h"
#endif

namespace dpt::runtime {

int cuda_device_count() {
#ifdef DPT_WITH_CUDA
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver / no device" error
    return 0;
  }
  return count;
#else
  return 0;
#endif
}

DeviceBinding bind_device(const Topology& topology, bool require_gpu) {
  DeviceBinding binding;
  binding.gpus_on_node = cuda_device_count();
  if (binding.gpus_on_node > 0 && binding.gpus_on_node >= topology.local_size) {
    binding.cuda = true;
    binding.index = topology.local_rank;
#ifdef DPT_WITH_CUDA
    DPT_CHECK_CUDA(cudaSetDevice(binding.index));
#endif
    return binding;
  }
  // All ranks or none on GPUs: a job mixing CPU and GPU ranks cannot share one backend.
  if (binding.gpus_on_node > 0) {
    DPT_LOG(kWarn) << topology.local_size << " ranks on this node but only " << binding.gpus_on_node
                   << " GPU(s): running on CPU. Start one rank per GPU to use them.";
  }
  DPT_CHECK(!require_gpu, CommError,
            "a GPU is required but local rank " << topology.local_rank << " found "
            << binding.gpus_on_node << " CUDA device(s) for " << topology.local_size
            << " local rank(s); start at most one rank per GPU");
  return binding;
}

void synchronize_device(const DeviceBinding& device) {
  if (!device.cuda) return;
#ifdef DPT_WITH_CUDA
  DPT_CHECK_CUDA(cudaSetDevice(device.index));
  DPT_CHECK_CUDA(cudaDeviceSynchronize());
#endif
}

int threads_per_rank(const Topology& topology, int requested) {
  if (requested > 0) return requested;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, cores / std::max(1, topology.local_size));
}

}  // namespace dpt::runtime
