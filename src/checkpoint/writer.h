#pragma once
// The collective checkpoint writer: one HDF5 file, written by all ranks through MPI-IO.
#include <string>

#include "checkpoint/io_comm.h"
#include "checkpoint/state.h"

namespace dpt::checkpoint {

// Collective over `comm`: creates (truncating) the HDF5 file `path` and writes `state` into it,
// every rank its share of every replicated tensor with collective transfers (Note [Checkpoint
// shares]), its own pieces of the sharded tensors and its own rank_state, then the manifest
// with every tensor's CRC-32, and closes it. Every rank passes a State with the same step,
// names, dtypes and shapes (checked: a difference throws InternalError on every rank). Tensors
// must be contiguous CPU tensors and stay unchanged until the call returns. Does not fsync or
// rename: see commit.h. Passes the fault points create, tensors and close (Note [Checkpoint
// fault injection]). Throws CheckpointError (the file is then incomplete; the caller removes it).
// `collective_buffering`: see Note [Collective buffering] (checkpoint/h5_util.cc).
Manifest write_file(const std::string& path, const State& state, IoComm& comm, bool collective_buffering = true);

}  // namespace dpt::checkpoint
