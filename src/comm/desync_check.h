#pragma once
// DesyncCheck: compares every collective's fingerprint across ranks before it runs
// (comm.check_collectives / DPT_DEBUG_COLLECTIVES=1; docs/reliability.md).
//
// Note [Desync check]
// The Communicator contract (comm/communicator.h) is that every rank issues the same
// collectives in the same order with the same dtype and element count. A rank that breaks it
// makes MPI combine unrelated buffers (silently wrong results) or hang. With the check on, each
// collective first all-gathers a fixed-size fingerprint (sequence number, op, reduce op or
// root, dtype, element count, plus the label and step for the message) on a private duplicate
// of the world communicator, from the issuing thread, and every rank compares them. Because
// the exchange itself has the same shape on every rank it always matches up, so a mismatch is
// reported (naming the ranks and both fingerprints) instead of corrupting data. Cost: one small
// blocking MPI_Allgather per collective, on the issuing thread; off by default.
#include <mpi.h>

#include "comm/collective.h"

namespace dpt::comm {

class DesyncCheck {
 public:
  // Collective over `world` (MPI_Comm_dup).
  explicit DesyncCheck(MPI_Comm world);
  ~DesyncCheck();
  DesyncCheck(const DesyncCheck&) = delete;
  DesyncCheck& operator=(const DesyncCheck&) = delete;

  // Collective: every rank calls it for its next collective. Throws CommError when the ranks'
  // fingerprints differ: "rank 0 issues <...>, rank 1 issues <...>".
  void verify(const CollectiveInfo& info);

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  int size_ = 1;
};

}  // namespace dpt::comm
