#include "comm/mpi/mpi_worker.h"

namespace dpt::comm {

void MpiWork::wait() {
  std::unique_lock<std::mutex> lock(mutex_);
  done_cv_.wait(lock, [this] { return done_; });
  if (error_) std::rethrow_exception(error_);
}

bool MpiWork::is_completed() {
  std::lock_guard<std::mutex> lock(mutex_);
  return done_;
}

void MpiWork::finish(std::exception_ptr error) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    done_ = true;
    error_ = std::move(error);
  }
  done_cv_.notify_all();
}

MpiWorker::MpiWorker() : thread_([this] { loop(); }) {}

MpiWorker::~MpiWorker() {
  bool leave = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    leave = std::uncaught_exceptions() > 0 && (busy_ || !queue_.empty());
  }
  cv_.notify_all();
  if (leave) {
    detached_ = true;
    thread_.detach();
  } else {
    thread_.join();
  }
}

std::shared_ptr<Work> MpiWorker::submit(std::function<void()> task) {
  auto work = std::make_shared<MpiWork>();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.emplace_back(std::move(task), work);
  }
  cv_.notify_one();
  return work;
}

void MpiWorker::loop() {
  for (;;) {
    std::function<void()> task;
    std::shared_ptr<MpiWork> work;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stop_ and drained
      task = std::move(queue_.front().first);
      work = std::move(queue_.front().second);
      queue_.pop_front();
      busy_ = true;
    }
    std::exception_ptr error;
    try {
      task();
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      busy_ = false;
    }
    work->finish(error);
  }
}

}  // namespace dpt::comm
