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
#include <string>
#include <thread>

#include "comm/communicator.h"

namespace dpt::comm {

class MpiWorker;

class MpiWork : public Work {
 public:
  explicit MpiWork(MpiWorker* worker) : worker_(worker) {}
  // Helps: while this collective or earlier ones are still queued and the communication thread
  // is idle, runs them on the calling thread (in order), so a wait right after the submit costs
  // no hand-off. Otherwise blocks until the communication thread finished it.
  void wait() override;
  bool is_completed() override;
  // Called once by the thread that ran the collective.
  void finish(std::exception_ptr error);
  // Blocks until finish() was called; rethrows the collective's error.
  void wait_finished();

 private:
  MpiWorker* worker_;
  friend class MpiWorker;
  std::function<void()> task_;  // set while it runs
  std::string label_;
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

  // Queues `task`; it runs on the worker thread after every earlier task. `label` names its
  // span on the timeline (common/trace.h); pass "" when not tracing.
  std::shared_ptr<Work> submit(std::function<void()> task, std::string label = "");
  // Runs `task` on the calling thread once every earlier task has run, and waits for it: a
  // blocking collective then costs no thread hand-off (two context switches, ~5-10 us).
  // Rethrows the task's error.
  void run_inline(const std::function<void()>& task);
  // Runs queued tasks on the calling thread, in order, until `work` ran, as long as the worker
  // thread is idle. Returns when `work` finished or the worker thread is running a task.
  void help_until(const MpiWork* work);
  // True when the destructor had to leave a blocked collective behind.
  bool detached() const { return detached_; }

 private:
  void loop();
  // Takes the queue's head and marks the worker busy. Caller holds mutex_.
  std::shared_ptr<MpiWork> pop_locked();
  // Runs a popped task on the calling thread, records its outcome, goes idle.
  void execute(const std::shared_ptr<MpiWork>& work);
  // Marks the worker idle after a task and wakes whoever waits for that.
  void go_idle();

  std::mutex mutex_;
  std::condition_variable cv_;       // wakes the worker thread
  std::condition_variable idle_cv_;  // wakes run_inline() callers when the worker goes idle
  std::deque<std::pair<std::function<void()>, std::shared_ptr<MpiWork>>> queue_;  // work holds the label
  bool stop_ = false;
  bool busy_ = false;
  bool detached_ = false;
  std::thread thread_;
};

}  // namespace dpt::comm
