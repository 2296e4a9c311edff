#pragma once
// make_communicator(): the one call that chooses a backend.
#include <mpi.h>

#include <memory>
#include <string>

#include "comm/communicator.h"
#include "runtime/device.h"

namespace dpt::comm {

// `backend` is comm.backend: "mpi", "nccl", or "auto" (nccl when `device` is a GPU and dptrain
// was built with NCCL, else mpi). Collective over `world`: every rank calls it with the same
// backend. Throws ConfigError for an unknown name and CommError when the backend cannot start.
std::unique_ptr<Communicator> make_communicator(const std::string& backend, MPI_Comm world,
                                                const runtime::DeviceBinding& device);

// Which backend "auto" resolves to for `device` in this build.
std::string resolve_backend(const std::string& backend, const runtime::DeviceBinding& device);

}  // namespace dpt::comm
