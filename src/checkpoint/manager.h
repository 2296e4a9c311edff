#pragma once
// Manager: when and how a training run writes checkpoints (the [checkpoint] options).
//
// Note [Async checkpoint writer]
// With checkpoint.async=true the step loop pays only for a host copy of the state: save()
// clones every tensor and hands the copy to a background thread, which writes and commits it
// (Note [Checkpoint commit]) on its own duplicate of the world communicator while training
// goes on. At most one write is in flight: the next save() (or wait()) first joins it. The
// writer takes the HDF5 lock per call, never across one, so the loader's reader thread is not
// starved. MPI must provide MPI_THREAD_MULTIPLE; without it save() writes synchronously.
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "checkpoint/io_comm.h"
#include "checkpoint/state.h"
#include "common/timer.h"

namespace dpt::config {
class Config;
}

namespace dpt::checkpoint {

struct Policy {
  int64_t every_steps = 0;   // checkpoint after every N-th step; 0 = not by steps
  double every_seconds = 0;  // and/or when this long has passed since the last one; 0 = not by time
  bool at_end = true;        // and after the last step
  int64_t keep = 3;          // committed checkpoints kept (newest); 0 = all
  int64_t keep_every = 0;    // also keep every checkpoint whose step is a multiple of this
  bool async = false;        // Note [Async checkpoint writer]
  bool collective_buffering = true;  // Note [Collective buffering] (h5_util.cc)
};

// The [checkpoint] options of `config`.
Policy policy_from_config(const config::Config& config);

class Manager {
 public:
  // Collective over MPI_COMM_WORLD. Rank 0 creates `dir` and removes temporaries an
  // interrupted writer left there. Throws CheckpointError when `dir` cannot be created.
  Manager(std::string dir, Policy policy);
  // Waits for an in-flight write; an error it had is logged, not thrown.
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  const std::string& dir() const { return dir_; }
  const Policy& policy() const { return policy_; }

  // Collective: whether to checkpoint after `step` completed steps (`last`: the run ends
  // after it). For checkpoint.every_seconds rank 0's clock decides and every rank follows.
  bool due(int64_t step, bool last);
  // Collective: saves `state` as <dir>/step_<state.step>.h5. Synchronous: returns once it is
  // committed. Async: joins the previous write (rethrowing its error), copies the tensors to
  // host memory and returns; the tensors may be changed as soon as it returns.
  void save(State state);
  // Collective: returns when no write is in flight; rethrows the error of the last one.
  void wait();

  // Seconds the last save() held up its caller (async: join + host copy).
  double last_stall_s() const { return last_stall_s_; }
  // Where the last committed write spent its time, on this rank (read after wait() when async).
  struct WriteTimes {
    double write_s = 0;   // collective HDF5 write incl. checksums and close
    double fsync_s = 0;   // fsync of the file (every rank)
    double commit_s = 0;  // rename, latest, directory fsync, retention (rank 0)
  };
  const WriteTimes& last_write_times() const { return last_times_; }
  // Path of the last checkpoint this manager committed ("" before the first); read it after
  // wait() when async (the writer thread sets it).
  const std::string& last_committed() const { return last_committed_; }

 private:
  void write_and_commit(const State& state);
  void join();

  std::string dir_;
  Policy policy_;
  std::unique_ptr<IoComm> control_;  // due() agreement, on the caller's thread
  std::unique_ptr<IoComm> writer_;   // writes (the background thread when async)
  std::vector<at::Tensor> host_copies_;  // async: the buffers of the last host copy
  std::thread thread_;
  std::exception_ptr error_;
  Stopwatch since_last_;
  double last_stall_s_ = 0;
  WriteTimes last_times_;
  std::string last_committed_;
};

}  // namespace dpt::checkpoint
