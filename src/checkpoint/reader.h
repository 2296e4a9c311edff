#pragma once
// The collective checkpoint reader. Any number of ranks can read a checkpoint written by any
// other number: each reads a share of every replicated tensor (Note [Checkpoint shares]) and
// the shares are all-gathered, so every rank ends with whole tensors.
//
// A reader trusts nothing it has not checked: the constructor verifies the manifest's own
// CRC and that every tensor it lists exists with its dtype and shape; every read verifies the
// tensor's CRC-32. Problems throw CheckpointError on every rank alike, naming the file and
// what is wrong, so callers can fall back to an older checkpoint (checkpoint/resume.h).
#include <string>
#include <vector>

#include "checkpoint/io_comm.h"
#include "checkpoint/layout.h"
#include "checkpoint/state.h"
#include "data/h5.h"

namespace dpt::checkpoint {

class Reader {
 public:
  // Collective over `comm`: opens `path` read-only through MPI-IO and checks its metadata.
  Reader(std::string path, IoComm& comm);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  const std::string& path() const { return path_; }
  const Manifest& manifest() const { return manifest_; }

  // Collective: the whole tensor `info` (from manifest()) on every rank, checksum verified.
  at::Tensor read(const TensorInfo& info);
  // Collective: tensor `info` read whole by rank `reader` only (others get an undefined
  // tensor); checksum verified, failure raised on every rank.
  at::Tensor read_on(const TensorInfo& info, int reader);
  // Collective: every replicated tensor, in manifest order.
  std::vector<TensorEntry> read_replicated();
  // Collective: this rank's own state (rng/rank_<rank>) when the writer had a rank of this
  // number, else an undefined tensor.
  at::Tensor read_rank_state();

 private:
  size_t index_of(const TensorInfo& info) const;
  // Reads `range` of tensor `index` into `out` (whole-tensor buffer); returns its CRC-32.
  uint32_t read_range(size_t index, Range range, at::Tensor& out);

  std::string path_;
  IoComm& comm_;
  data::H5Id file_;
  data::H5Id dxpl_;
  Manifest manifest_;
  std::vector<data::H5Id> datasets_;  // parallel to manifest_.tensors
};

}  // namespace dpt::checkpoint
