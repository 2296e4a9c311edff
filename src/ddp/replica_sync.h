#pragma once
// Start-up of a data-parallel model: every rank must hold the same architecture, and then
// the same values.
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "comm/communicator.h"

namespace dpt::ddp {

struct NamedTensor {
  std::string name;
  at::Tensor tensor;
};

// Collective. Compares every rank's list of (name, shape, dtype) with rank 0's. On a mismatch
// every rank throws CommError; the ranks that differ name themselves and their first differing
// tensor, e.g. "rank 1 differs from rank 0 at parameter fc1.weight: [128, 784] float vs
// [256, 784] float".
void verify_replicas(const std::vector<NamedTensor>& tensors, comm::Communicator& comm);

// Collective. Overwrites every rank's tensors with rank 0's values (flattened per dtype into
// one broadcast each).
void broadcast_from_root(const std::vector<at::Tensor>& tensors, comm::Communicator& comm);

// "fc1.weight: [128, 784] float" — the description verify_replicas compares.
std::string describe(const NamedTensor& t);

}  // namespace dpt::ddp
