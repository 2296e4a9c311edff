#pragma once
// The step-boundary agreement on a stop request (DESIGN.md §3 "Failure semantics";
// runtime/signals.h, Note [Why only a flag]). A stop signal usually reaches every rank (srun and
// mpirun forward it to all tasks) but not at the same instant: one rank may see it before step s
// and another only after. Deciding on the local flag alone would let ranks stop at different
// steps and hang in a collective; the all-reduce MAX makes the decision identical everywhere.
#include <c10/core/Device.h>

#include "comm/communicator.h"

namespace dpt::comm {

// Collective: every rank calls it at the same point of the step sequence (once per step, or
// every N steps with the same N), like any other collective on `comm`. Returns the stop signal
// recorded by runtime::pending_stop_signal() on any rank — the largest signal number when the
// ranks saw different ones — or 0 when none did. Every rank gets the same answer. `device`
// is where the backend takes tensors (CPU for mpi, the rank's GPU for nccl). Cost: one 4-byte
// all-reduce.
int stop_signal_anywhere(Communicator& comm, c10::Device device = c10::Device(c10::kCPU));

inline bool stop_requested_anywhere(Communicator& comm, c10::Device device = c10::Device(c10::kCPU)) {
  return stop_signal_anywhere(comm, device) != 0;
}

}  // namespace dpt::comm
