#pragma once
// MpiWorker: the communication thread of the MPI backend.
//
// Note [Why a thread and not MPI_I*]
// Open MPI progresses non-blocking collectives only inside MPI calls, so an MPI_Iallreduce
// started before backward makes little progress while autograd computes. A dedicated thread
// that runs blocking collectives one after another does overlap them with the caller's
// compute (the approach of PyTorch's MPI process group). Tasks run strictly in submission
// order, which is what keeps every rank's collectives in the same order.
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "comm/communicator.h"

namespace dpt::comm {

class MpiWork : public Work {
 public:
  void wait() override;
  bool is_completed() override;
  // Called once by the worker thread.
  void finish(std::exception_ptr error);

 private:
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  std::exception_ptr error_;
};

class MpiWorker {
 public:
  MpiWorker();
  // Joins the thread after the queued tasks ran. If the owner is being destroyed by an
  // exception while a collective is still blocked in MPI, the thread is detached instead so the
  // error can reach main(), which aborts the job (a join would hang on the missing peers).
  ~MpiWorker();
  MpiWorker(const MpiWorker&) = delete;
  MpiWorker& operator=(const MpiWorker&) = delete;

  // Queues `task`; it runs on the worker thread after every earlier task.
  std::shared_ptr<Work> submit(std::function<void()> task);
  // True when the destructor had to leave a blocked collective behind.
  bool detached() const { return detached_; }

 private:
  void loop();

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::pair<std::function<void()>, std::shared_ptr<MpiWork>>> queue_;
  bool stop_ = false;
  bool busy_ = false;
  bool detached_ = false;
  std::thread thread_;
};

}  // namespace dpt::comm
