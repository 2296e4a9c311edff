#pragma once
// make_communicator(): the one call that chooses a backend.
#include <mpi.h>

#include <memory>
#include <string>

#include "comm/communicator.h"
#include "comm/guarded_communicator.h"
#include "runtime/device.h"

namespace dpt::comm {

// `backend` is comm.backend: "mpi", "nccl", or "auto" (nccl when `device` is a GPU and dptrain
// was built with NCCL, else mpi). Collective over `world`: every rank calls it with the same
// backend and options. Throws ConfigError for an unknown name and CommError when the backend
// cannot start. With a watchdog (guard.timeout_s > 0) or the desync check (guard.check_collectives,
// or DPT_DEBUG_COLLECTIVES=1) the backend comes wrapped in a GuardedCommunicator.
std::unique_ptr<Communicator> make_communicator(const std::string& backend, MPI_Comm world,
                                                const runtime::DeviceBinding& device, GuardOptions guard = {});

// Which backend "auto" resolves to for `device` in this build.
std::string resolve_backend(const std::string& backend, const runtime::DeviceBinding& device);

}  // namespace dpt::comm
