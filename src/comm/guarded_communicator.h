#pragma once
// GuardedCommunicator: wraps a backend (MPI or NCCL) and adds, to every collective, the
// watchdog deadline (Note [Collective watchdog], comm/watchdog.h) and, when asked, the
// cross-rank desync check (Note [Desync check], comm/desync_check.h). make_communicator()
// returns one whenever either is on; the backend does the communication unchanged.
//
// Every collective gets a sequence number in issue order, the label of the issuing thread's
// CollectiveLabel and the step the caller noted (note_step), which the watchdog's report and
// the desync check print.
#include <mpi.h>

#include <atomic>
#include <memory>

#include "comm/collective.h"
#include "comm/communicator.h"
#include "comm/desync_check.h"
#include "comm/watchdog.h"

namespace dpt::comm {

struct GuardOptions {
  double timeout_s = 300;          // comm.timeout_s; 0 = no watchdog
  bool check_collectives = false;  // comm.check_collectives or DPT_DEBUG_COLLECTIVES=1
};

class GuardedCommunicator : public Communicator {
 public:
  // Collective over `world` (the watchdog's side channel and the desync check duplicate it).
  // `on_expire` overrides what the watchdog does after its report (default: log the report as
  // an error, abort the backend, MPI_Abort(world, 1)); tests pass one that records it.
  GuardedCommunicator(std::unique_ptr<Communicator> inner, MPI_Comm world, GuardOptions options,
                      std::function<void(const std::string&)> on_expire = nullptr);
  ~GuardedCommunicator() override;

  int rank() const override { return inner_->rank(); }
  int size() const override { return inner_->size(); }
  std::string backend() const override { return inner_->backend(); }
  void note_step(int64_t step) override { step_.store(step, std::memory_order_relaxed); }

  std::shared_ptr<Work> allreduce_async(at::Tensor& tensor, ReduceOp op) override;
  std::shared_ptr<Work> broadcast_async(at::Tensor& tensor, int root) override;
  std::shared_ptr<Work> allgather_async(const at::Tensor& input, at::Tensor& output) override;
  std::shared_ptr<Work> reduce_scatter_async(const at::Tensor& input, at::Tensor& output, ReduceOp op) override;
  std::shared_ptr<Work> barrier_async() override;
  void allreduce(at::Tensor& tensor, ReduceOp op) override;
  void broadcast(at::Tensor& tensor, int root) override;
  void allgather(const at::Tensor& input, at::Tensor& output) override;
  void reduce_scatter(const at::Tensor& input, at::Tensor& output, ReduceOp op) override;
  void barrier() override;
  void abort() override { inner_->abort(); }

  Communicator& inner() { return *inner_; }

 private:
  class Call;
  CollectiveInfo describe(CollectiveOp op, int32_t detail, const at::Tensor& tensor);
  // Runs `issue` (which returns the backend's Work) under the watchdog and returns its Work.
  template <typename Issue>
  std::shared_ptr<Work> guarded_async(const CollectiveInfo& info, Issue issue);
  // A blocking collective: on the calling thread when the backend's blocking form blocks the
  // host until done (MPI); otherwise (NCCL returns once enqueued) through the async form, so
  // that the watchdog watches its completion.
  template <typename Blocking, typename Async>
  void guarded_blocking(const CollectiveInfo& info, Blocking blocking, Async async);

  std::unique_ptr<Communicator> inner_;
  const bool inner_blocks_host_;
  std::atomic<uint64_t> seq_{0};
  std::atomic<int64_t> step_{-1};
  std::unique_ptr<DesyncCheck> check_;  // null when off
  std::unique_ptr<Watchdog> watchdog_;  // null when comm.timeout_s = 0
  int fault_rank_ = -1;                 // DPT_COMM_FAULT: kill this rank ...
  int64_t fault_step_ = -1;             // ... at its first collective of this step
};

}  // namespace dpt::comm
