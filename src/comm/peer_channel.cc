#include "comm/peer_channel.h"

#include <chrono>
#include <thread>

#include "runtime/mpi_check.h"

namespace dpt::comm {
namespace {

constexpr int kQueryTag = 1;
constexpr int kAnswerTag = 2;

}  // namespace

PeerChannel::PeerChannel(MPI_Comm world) {
  DPT_CHECK_MPI(MPI_Comm_dup(world, &comm_));
  DPT_CHECK_MPI(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
  DPT_CHECK_MPI(MPI_Comm_rank(comm_, &rank_));
  DPT_CHECK_MPI(MPI_Comm_size(comm_, &size_));
  answers_.resize(static_cast<size_t>(size_));
  receives_.assign(static_cast<size_t>(size_), MPI_REQUEST_NULL);
}

PeerChannel::~PeerChannel() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized || comm_ == MPI_COMM_NULL) return;
  for (MPI_Request& request : receives_) {
    if (request == MPI_REQUEST_NULL) continue;
    MPI_Cancel(&request);
    MPI_Request_free(&request);
  }
  MPI_Comm_free(&comm_);
}

void PeerChannel::answer_queries(const PeerStatus& mine) {
  // Errors are ignored here: the channel only serves a report written just before the job is
  // aborted, and a peer that cannot be answered is reported by its own watchdog as silent.
  for (;;) {
    int arrived = 0;
    MPI_Status status;
    if (MPI_Iprobe(MPI_ANY_SOURCE, kQueryTag, comm_, &arrived, &status) != MPI_SUCCESS || !arrived) return;
    int ignored = 0;
    if (MPI_Recv(&ignored, 1, MPI_INT, status.MPI_SOURCE, kQueryTag, comm_, MPI_STATUS_IGNORE) != MPI_SUCCESS) return;
    // A few hundred bytes: sent eagerly, so this returns without waiting for the peer.
    MPI_Send(&mine, sizeof mine, MPI_BYTE, status.MPI_SOURCE, kAnswerTag, comm_);
  }
}

std::vector<std::optional<PeerStatus>> PeerChannel::ask_all(const PeerStatus& mine, double seconds) {
  static const int query = 0;
  for (int peer = 0; peer < size_; ++peer) {
    if (peer == rank_) continue;
    if (receives_[peer] == MPI_REQUEST_NULL) {
      MPI_Irecv(&answers_[peer], sizeof(PeerStatus), MPI_BYTE, peer, kAnswerTag, comm_, &receives_[peer]);
    }
    MPI_Request send;
    if (MPI_Isend(&query, 1, MPI_INT, peer, kQueryTag, comm_, &send) == MPI_SUCCESS) MPI_Request_free(&send);
  }
  std::vector<std::optional<PeerStatus>> out(static_cast<size_t>(size_));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  for (int missing = size_ - 1; missing > 0 && std::chrono::steady_clock::now() < deadline;) {
    answer_queries(mine);  // peers that time out at the same moment ask us too
    for (int peer = 0; peer < size_; ++peer) {
      if (peer == rank_ || out[peer] || receives_[peer] == MPI_REQUEST_NULL) continue;
      int done = 0;
      if (MPI_Test(&receives_[peer], &done, MPI_STATUS_IGNORE) == MPI_SUCCESS && done) {
        out[peer] = answers_[peer];
        --missing;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return out;
}

}  // namespace dpt::comm
