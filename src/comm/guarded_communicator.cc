#include "comm/guarded_communicator.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "common/env.h"
#include "common/error.h"
#include "common/log.h"
#include "common/timer.h"

namespace dpt::comm {
namespace {

// DPT_COMM_FAULT=kill:<rank>:<step> (test only): the rank SIGKILLs itself as it issues its
// first collective of that step -- while its peers are entering the same collective.
void parse_fault(int* rank, int64_t* step) {
  const std::vector<std::string> f = env::get_fields(env::kCommFault, ':');
  if (f.empty()) return;
  DPT_CHECK(f.size() == 3 && f[0] == "kill", ConfigError,
            env::kCommFault << "='" << env::get_string(env::kCommFault, "") << "' is not kill:<rank>:<step>");
  *rank = static_cast<int>(env::parse_int(env::kCommFault, f[1]));
  *step = env::parse_int(env::kCommFault, f[2]);
}

}  // namespace

// The watchdog's view of one call into the backend: entered on construction, left on
// destruction (also when the call throws).
class GuardedCommunicator::Call {
 public:
  Call(GuardedCommunicator& guard, const CollectiveInfo& info) : guard_(guard), seq_(info.seq) {
    if (guard_.fault_step_ >= 0 && info.step == guard_.fault_step_ && guard_.rank() == guard_.fault_rank_) {
      std::fprintf(stderr, "comm fault: rank %d killed itself entering %s pid %d at_ns=%lld\n", guard_.rank(),
                   info.describe().c_str(), static_cast<int>(::getpid()), static_cast<long long>(wall_clock_ns()));
      std::fflush(stderr);
      ::kill(::getpid(), SIGKILL);
    }
    if (guard_.watchdog_) guard_.watchdog_->enter(info);
  }
  ~Call() {
    if (guard_.watchdog_) guard_.watchdog_->leave(seq_);
  }
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

 private:
  GuardedCommunicator& guard_;
  uint64_t seq_;
};

GuardedCommunicator::GuardedCommunicator(std::unique_ptr<Communicator> inner, MPI_Comm world, GuardOptions options,
                                         std::function<void(const std::string&)> on_expire)
    : inner_(std::move(inner)), inner_blocks_host_(inner_->backend() == "mpi") {
  DPT_CHECK(options.timeout_s >= 0, ConfigError,
            "comm.timeout_s=" << options.timeout_s << " is negative; use seconds > 0, or 0 to turn the watchdog off");
  parse_fault(&fault_rank_, &fault_step_);
  if (options.check_collectives) check_ = std::make_unique<DesyncCheck>(world);
  if (options.timeout_s > 0) {
    Watchdog::Options w;
    w.timeout_s = options.timeout_s;
    if (on_expire) {
      w.on_expire = std::move(on_expire);
      w.backstop_alarm = false;
    } else {
      Communicator* backend = inner_.get();
      w.on_expire = [backend, world](const std::string& report) {
        log::write(log::Level::kError, report);
        backend->abort();  // NCCL: ncclCommAbort; MPI: MPI_Abort (does not return)
        MPI_Abort(world, 1);
      };
    }
    watchdog_ = std::make_unique<Watchdog>(world, std::move(w));
  }
}

GuardedCommunicator::~GuardedCommunicator() = default;

CollectiveInfo GuardedCommunicator::describe(CollectiveOp op, int32_t detail, const at::Tensor& tensor) {
  CollectiveInfo info;
  info.seq = seq_.fetch_add(1, std::memory_order_relaxed) + 1;
  info.op = op;
  info.detail = detail;
  if (tensor.defined()) {
    info.dtype = tensor.scalar_type();
    info.numel = tensor.numel();
  }
  int index = -1;
  info.label = CollectiveLabel::current(&index);
  info.label_index = index;
  info.step = step_.load(std::memory_order_relaxed);
  return info;
}

template <typename Issue>
std::shared_ptr<Work> GuardedCommunicator::guarded_async(const CollectiveInfo& info, Issue issue) {
  Call call(*this, info);
  if (check_) check_->verify(info);
  std::shared_ptr<Work> work = issue();
  if (watchdog_) watchdog_->track(info, work);
  return work;
}

template <typename Blocking, typename Async>
void GuardedCommunicator::guarded_blocking(const CollectiveInfo& info, Blocking blocking, Async async) {
  if (!inner_blocks_host_) {
    guarded_async(info, async)->wait();
    return;
  }
  Call call(*this, info);
  if (check_) check_->verify(info);
  blocking();
}

std::shared_ptr<Work> GuardedCommunicator::allreduce_async(at::Tensor& tensor, ReduceOp op) {
  return guarded_async(describe(CollectiveOp::kAllreduce, static_cast<int32_t>(op), tensor),
                       [&] { return inner_->allreduce_async(tensor, op); });
}
std::shared_ptr<Work> GuardedCommunicator::broadcast_async(at::Tensor& tensor, int root) {
  return guarded_async(describe(CollectiveOp::kBroadcast, root, tensor),
                       [&] { return inner_->broadcast_async(tensor, root); });
}
std::shared_ptr<Work> GuardedCommunicator::allgather_async(const at::Tensor& input, at::Tensor& output) {
  return guarded_async(describe(CollectiveOp::kAllgather, -1, input),
                       [&] { return inner_->allgather_async(input, output); });
}
std::shared_ptr<Work> GuardedCommunicator::reduce_scatter_async(const at::Tensor& input, at::Tensor& output,
                                                                ReduceOp op) {
  return guarded_async(describe(CollectiveOp::kReduceScatter, static_cast<int32_t>(op), input),
                       [&] { return inner_->reduce_scatter_async(input, output, op); });
}
std::shared_ptr<Work> GuardedCommunicator::barrier_async() {
  return guarded_async(describe(CollectiveOp::kBarrier, -1, at::Tensor()), [&] { return inner_->barrier_async(); });
}

void GuardedCommunicator::allreduce(at::Tensor& tensor, ReduceOp op) {
  guarded_blocking(describe(CollectiveOp::kAllreduce, static_cast<int32_t>(op), tensor),
                   [&] { inner_->allreduce(tensor, op); }, [&] { return inner_->allreduce_async(tensor, op); });
}
void GuardedCommunicator::broadcast(at::Tensor& tensor, int root) {
  guarded_blocking(describe(CollectiveOp::kBroadcast, root, tensor), [&] { inner_->broadcast(tensor, root); },
                   [&] { return inner_->broadcast_async(tensor, root); });
}
void GuardedCommunicator::allgather(const at::Tensor& input, at::Tensor& output) {
  guarded_blocking(describe(CollectiveOp::kAllgather, -1, input), [&] { inner_->allgather(input, output); },
                   [&] { return inner_->allgather_async(input, output); });
}
void GuardedCommunicator::reduce_scatter(const at::Tensor& input, at::Tensor& output, ReduceOp op) {
  guarded_blocking(describe(CollectiveOp::kReduceScatter, static_cast<int32_t>(op), input),
                   [&] { inner_->reduce_scatter(input, output, op); },
                   [&] { return inner_->reduce_scatter_async(input, output, op); });
}
void GuardedCommunicator::barrier() {
  guarded_blocking(describe(CollectiveOp::kBarrier, -1, at::Tensor()), [&] { inner_->barrier(); },
                   [&] { return inner_->barrier_async(); });
}

}  // namespace dpt::comm
