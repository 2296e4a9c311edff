#include "checkpoint/manager.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <filesystem>

#include "checkpoint/commit.h"
#include "checkpoint/fault.h"
#include "checkpoint/writer.h"
#include "common/error.h"
#include "common/log.h"
#include "config/config.h"

namespace dpt::checkpoint {

Policy policy_from_config(const config::Config& config) {
  Policy p;
  p.every_steps = config.get_int("checkpoint.every_steps");
  p.every_seconds = config.get_double("checkpoint.every_seconds");
  p.at_end = config.get_bool("checkpoint.at_end");
  p.keep = config.get_int("checkpoint.keep");
  p.keep_every = config.get_int("checkpoint.keep_every");
  p.async = config.get_bool("checkpoint.async");
  p.collective_buffering = config.get_bool("checkpoint.collective_buffering");
  return p;
}

Manager::Manager(std::string dir, Policy policy)
    : dir_(std::move(dir)), policy_(policy), control_(new IoComm(MPI_COMM_WORLD)), writer_(new IoComm(MPI_COMM_WORLD)) {
  control_->agreed([&] {
    if (control_->rank() != 0) return;
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    DPT_CHECK(!ec, CheckpointError, "cannot create the checkpoint directory " << dir_ << ": " << ec.message()
                                    << "; check run.dir / checkpoint.dir");
    remove_temporaries(dir_);
  });
  if (policy_.async) {
    int provided = MPI_THREAD_SINGLE;
    MPI_Query_thread(&provided);
    if (provided < MPI_THREAD_MULTIPLE) {
      DPT_LOG(kWarn) << "checkpoint.async=true needs MPI_THREAD_MULTIPLE, which this MPI does not provide; "
                        "checkpoints are written synchronously";
      policy_.async = false;
    }
  }
}

Manager::~Manager() {
  try {
    join();
  } catch (const std::exception& e) {
    DPT_LOG(kError) << "the last checkpoint write failed: " << e.what();
  }
}

bool Manager::due(int64_t step, bool last) {
  bool yes = (policy_.every_steps > 0 && step % policy_.every_steps == 0) || (last && policy_.at_end);
  if (policy_.every_seconds > 0) {
    const int64_t elapsed = control_->rank() == 0 && since_last_.seconds() >= policy_.every_seconds ? 1 : 0;
    yes = yes || control_->broadcast(elapsed, 0) != 0;
  }
  return yes;
}

void Manager::join() {
  if (thread_.joinable()) thread_.join();
  if (error_) {
    std::exception_ptr error = error_;
    error_ = nullptr;
    std::rethrow_exception(error);
  }
}

void Manager::wait() { join(); }

void Manager::save(State state) {
  Stopwatch stall;
  join();
  since_last_.reset();
  if (!policy_.async) {
    write_and_commit(state);
    last_stall_s_ = stall.seconds();
    return;
  }
  // The host copy: after this the caller may change its tensors (Note [Async checkpoint writer]).
  // The previous write has finished (joined above), so its buffers are reused when the tensors
  // have the same shapes: no allocation and no page faults in the step loop after the first.
  const bool reuse = host_copies_.size() == state.replicated.size() &&
                     std::equal(host_copies_.begin(), host_copies_.end(), state.replicated.begin(),
                                [](const at::Tensor& copy, const TensorEntry& entry) {
                                  return copy.sizes() == entry.tensor.sizes() &&
                                         copy.scalar_type() == entry.tensor.scalar_type();
                                });
  if (!reuse) host_copies_.clear();
  for (size_t i = 0; i < state.replicated.size(); ++i) {
    at::Tensor& tensor = state.replicated[i].tensor;
    if (reuse) {
      host_copies_[i].copy_(tensor);
    } else {
      host_copies_.push_back(tensor.to(at::kCPU).contiguous().clone());
    }
    tensor = host_copies_[i];
  }
  for (auto& entry : state.sharded) entry.piece = entry.piece.to(at::kCPU).contiguous().clone();
  if (state.rank_state.defined()) state.rank_state = state.rank_state.contiguous().clone();
  thread_ = std::thread([this, copy = std::move(state)] {
    try {
      write_and_commit(copy);
    } catch (...) {
      error_ = std::current_exception();
    }
  });
  last_stall_s_ = stall.seconds();
}

void Manager::write_and_commit(const State& state) {
  IoComm& comm = *writer_;
  const std::string name = step_file_name(state.step);
  const std::string final_path = dir_ + "/" + name;
  const std::string tmp = final_path + ".tmp";
  WriteTimes times;
  Stopwatch watch;
  try {
    write_file(tmp, state, comm, policy_.collective_buffering);
    times.write_s = watch.seconds();
    watch.reset();
    comm.agreed([&] { fsync_file(tmp); });
    times.fsync_s = watch.seconds();
    watch.reset();
  } catch (...) {
    if (comm.rank() == 0) std::filesystem::remove(tmp);
    throw;
  }
  fault_point("fsync", comm.rank(), state.step);
  comm.agreed([&] {
    if (comm.rank() != 0) return;
    rename_file(tmp, final_path);
    fault_point("rename", comm.rank(), state.step);
    write_latest(dir_, name);
    fsync_directory(dir_);
    fault_point("latest", comm.rank(), state.step);
    for (int64_t old : steps_to_remove(committed_steps(dir_), policy_.keep, policy_.keep_every, state.step)) {
      std::filesystem::remove(dir_ + "/" + step_file_name(old));
    }
  });
  times.commit_s = watch.seconds();
  last_times_ = times;
  last_committed_ = final_path;
  DPT_LOG(kDebug) << "checkpoint " << final_path << " committed";
}

}  // namespace dpt::checkpoint
