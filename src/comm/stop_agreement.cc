#include "comm/stop_agreement.h"

#include <ATen/ATen.h>

#include "comm/collective.h"
#include "runtime/signals.h"

namespace dpt::comm {

int stop_signal_anywhere(Communicator& comm, c10::Device device) {
  at::Tensor flag = at::full({1}, runtime::pending_stop_signal(), at::TensorOptions().dtype(at::kInt).device(device));
  const CollectiveLabel label("stop flag");
  comm.allreduce(flag, ReduceOp::kMax);
  return flag.item<int>();
}

}  // namespace dpt::comm
