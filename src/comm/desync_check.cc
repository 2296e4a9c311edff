#include "comm/desync_check.h"

#include <cstring>
#include <vector>

#include "runtime/mpi_check.h"

namespace dpt::comm {
namespace {

// The bytes every rank contributes. The first five fields must agree; label and step only
// make the message readable (ranks may legitimately differ in neither, but they are not rules).
struct Fingerprint {
  int64_t seq;
  int64_t op;
  int64_t detail;
  int64_t dtype;
  int64_t numel;
  int64_t step;
  int64_t label_index;
  char label[40];

  bool same_collective(const Fingerprint& o) const {
    return seq == o.seq && op == o.op && detail == o.detail && dtype == o.dtype && numel == o.numel;
  }
  CollectiveInfo info() const {
    CollectiveInfo i;
    i.seq = static_cast<uint64_t>(seq);
    i.op = static_cast<CollectiveOp>(op);
    i.detail = static_cast<int32_t>(detail);
    i.dtype = static_cast<c10::ScalarType>(dtype);
    i.numel = numel;
    i.step = step;
    i.label = label[0] != '\0' ? label : nullptr;
    i.label_index = static_cast<int32_t>(label_index);
    return i;
  }
};

Fingerprint fingerprint(const CollectiveInfo& info) {
  Fingerprint f{};
  f.seq = static_cast<int64_t>(info.seq);
  f.op = static_cast<int64_t>(info.op);
  f.detail = info.detail;
  f.dtype = static_cast<int64_t>(info.dtype);
  f.numel = info.numel;
  f.step = info.step;
  f.label_index = info.label_index;
  if (info.label != nullptr) std::strncpy(f.label, info.label, sizeof f.label - 1);
  return f;
}

}  // namespace

DesyncCheck::DesyncCheck(MPI_Comm world) {
  DPT_CHECK_MPI(MPI_Comm_dup(world, &comm_));
  DPT_CHECK_MPI(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
  DPT_CHECK_MPI(MPI_Comm_size(comm_, &size_));
}

DesyncCheck::~DesyncCheck() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

void DesyncCheck::verify(const CollectiveInfo& info) {
  const Fingerprint mine = fingerprint(info);
  std::vector<Fingerprint> all(static_cast<size_t>(size_));
  DPT_CHECK_MPI(MPI_Allgather(&mine, sizeof mine, MPI_BYTE, all.data(), sizeof mine, MPI_BYTE, comm_));
  std::string differing;
  int first = -1;
  for (int r = 1; r < size_; ++r) {
    if (all[r].same_collective(all[0])) continue;
    if (first < 0) first = r;
    differing += (differing.empty() ? "" : ", ") + std::to_string(r);
  }
  if (first < 0) return;
  // Print the copy that came back (the label points into it).
  DPT_THROW(CommError, "collectives out of step (comm.check_collectives): rank 0 issues "
                           << all[0].info().describe() << " but rank " << first << " issues "
                           << all[first].info().describe() << "; rank(s) differing from rank 0: " << differing
                           << ". Every rank must issue the same collectives in the same order with the same dtype "
                              "and element count");
}

}  // namespace dpt::comm
