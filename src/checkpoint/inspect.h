#pragma once
// `dptrain inspect <file.h5>`: what a checkpoint holds, and whether every part of it verifies.
#include <string>
#include <vector>

#include "checkpoint/io_comm.h"

namespace dpt::checkpoint {

struct Inspection {
  std::string text;                   // the description, one tensor per line
  std::vector<std::string> problems;  // empty: the checkpoint verifies
};

// Collective over `comm`. Opens `path`, describes its metadata and tensors and reads every
// tensor to verify its CRC-32 (replicated ones shared over the ranks, rank states on rank 0).
// A file that cannot be opened at all yields one problem and a short text; never throws
// CheckpointError.
Inspection inspect_file(const std::string& path, IoComm& comm);

// True when `path` looks like a checkpoint: a regular file starting with the HDF5 signature.
bool is_hdf5_file(const std::string& path);

}  // namespace dpt::checkpoint
