#pragma once
// Device binding and threads per rank.
#include <string>

#include "runtime/topology.h"

namespace dpt::runtime {

struct DeviceBinding {
  bool cuda = false;     // true: cuda:<index>; false: CPU
  int index = -1;        // CUDA device ordinal when cuda
  int gpus_on_node = 0;  // CUDA devices visible to this process
  std::string str() const { return cuda ? "cuda:" + std::to_string(index) : "cpu"; }
};

// Number of CUDA devices this process can use; 0 when built without CUDA or no driver/GPU.
int cuda_device_count();

// cuda:<local_rank> when this node has a GPU for every local rank. With fewer GPUs than local
// ranks it warns and binds to CPU, except `require_gpu`, which throws CommError.
DeviceBinding bind_device(const Topology& topology, bool require_gpu = false);

// Blocks the host until all work queued on `device`'s GPU has finished (cudaDeviceSynchronize);
// nothing on CPU. For timing loops, never on a training path (Note [Stream ordering]).
void synchronize_device(const DeviceBinding& device);

// Intra-op threads for this rank: `requested` when > 0, else cores on the node / local ranks
// (at least 1).
int threads_per_rank(const Topology& topology, int requested);

}  // namespace dpt::runtime
