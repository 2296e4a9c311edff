#pragma once
// Creates the NCCL backend without exposing NCCL's headers to the includer (they stay in
// comm/nccl/). Only declared in builds with DPT_WITH_NCCL.
#include <mpi.h>

#include <memory>

#include "comm/communicator.h"

namespace dpt::comm {

// See NcclCommunicator's constructor: collective over `world`, binds to CUDA `device`.
std::unique_ptr<Communicator> make_nccl_communicator(MPI_Comm world, int device);

}  // namespace dpt::comm
