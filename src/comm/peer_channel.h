#pragma once
// PeerChannel: the watchdog's side channel. When a collective times out, the rank that waits
// asks every other rank where it is (last collective issued, whether it is inside one); the
// other ranks' watchdog threads answer, even while their main thread is stalled outside MPI.
// A dead rank, or one whose process hangs as a whole, gives no answer.
//
// Point-to-point messages on a private duplicate of the world communicator, sent and received
// only by the watchdog thread (needs MPI_THREAD_MULTIPLE: other threads run collectives at the
// same time). Every call is non-blocking or bounded, so a dead peer cannot hang the watchdog.
#include <mpi.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace dpt::comm {

// What one rank says about itself. Plain bytes on the wire.
struct PeerStatus {
  uint64_t issued_seq = 0;   // the last collective this rank issued (0: none yet)
  uint64_t waiting_seq = 0;  // the oldest collective it is still inside (0: none)
  double waiting_s = 0;      // for how long (or, when waiting_seq is 0, since its last issue)
  char text[400] = {};       // "host h pid p: issued up to <description>"
};

class PeerChannel {
 public:
  // Collective over `world` (MPI_Comm_dup).
  explicit PeerChannel(MPI_Comm world);
  ~PeerChannel();
  PeerChannel(const PeerChannel&) = delete;
  PeerChannel& operator=(const PeerChannel&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // Answers every query that has arrived with `mine`. Never waits for a peer.
  void answer_queries(const PeerStatus& mine);
  // Asks every other rank for its status and waits at most `seconds` for the answers (answering
  // queries with `mine` meanwhile). Entry r is empty for this rank and for ranks that did not
  // answer in time.
  std::vector<std::optional<PeerStatus>> ask_all(const PeerStatus& mine, double seconds);

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  // Answers land here; a receive that got no answer in time stays posted (MPI may still write
  // into its buffer) until the next ask_all() or the destructor.
  std::vector<PeerStatus> answers_;
  std::vector<MPI_Request> receives_;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace dpt::comm
