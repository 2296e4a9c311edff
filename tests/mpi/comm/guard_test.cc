// GuardedCommunicator over the MPI backend: results unchanged, the desync check names the ranks
// and both fingerprints, and the watchdog reports a late rank by name (with an expiry handler
// that records the report instead of aborting the job).
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <mpi.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "comm/collective.h"
#include "comm/guarded_communicator.h"
#include "comm/mpi/mpi_communicator.h"
#include "common/error.h"

namespace dpt::comm {
namespace {

std::unique_ptr<GuardedCommunicator> guarded(GuardOptions options,
                                             std::function<void(const std::string&)> on_expire = nullptr) {
  return std::make_unique<GuardedCommunicator>(std::make_unique<MpiCommunicator>(MPI_COMM_WORLD), MPI_COMM_WORLD,
                                               options, std::move(on_expire));
}

// The message of the CommError that `call` throws ("" when it does not throw).
template <typename Call>
std::string comm_error(Call call) {
  try {
    call();
  } catch (const CommError& e) {
    return e.what();
  }
  return "";
}

TEST(Guard, ResultsAreTheBackendsWithTheCheckOn) {
  auto comm = guarded({5, true});
  const int n = comm->size();
  at::Tensor t = at::full({1000}, comm->rank() + 1.0);
  comm->allreduce(t, ReduceOp::kSum);
  EXPECT_TRUE(t.eq(n * (n + 1) / 2.0).all().item<bool>());
  at::Tensor b = at::full({7}, static_cast<int64_t>(comm->rank()), at::kLong);
  comm->broadcast_async(b, n - 1)->wait();
  EXPECT_TRUE(b.eq(n - 1).all().item<bool>());
  at::Tensor in = at::full({3}, static_cast<double>(comm->rank()), at::kDouble), out = at::empty({3 * n}, at::kDouble);
  comm->allgather(in, out);
  for (int r = 0; r < n; ++r) EXPECT_EQ(out[3 * r].item<double>(), r);
  comm->barrier();
  EXPECT_EQ(comm->backend(), "mpi");
}

TEST(Guard, DesyncCheckNamesRanksAndFingerprints) {
  auto comm = guarded({5, true});
  if (comm->size() < 2) GTEST_SKIP() << "needs 2 ranks";
  comm->note_step(3);
  at::Tensor same = at::zeros({4});
  comm->allreduce(same, ReduceOp::kSum);  // #1 agrees
  // #2: the last rank reduces 20 elements, the others 10.
  const bool odd = comm->rank() == comm->size() - 1;
  at::Tensor t = at::zeros({odd ? 20 : 10});
  const std::string what = comm_error([&] {
    const CollectiveLabel label("gradient bucket", 2);
    comm->allreduce(t, ReduceOp::kAvg);
  });
  EXPECT_NE(what.find("collectives out of step"), std::string::npos) << what;
  EXPECT_NE(what.find("rank 0 issues allreduce(avg) #2 float32[10]"), std::string::npos) << what;
  EXPECT_NE(what.find("rank " + std::to_string(comm->size() - 1) + " issues allreduce(avg) #2 float32[20]"),
            std::string::npos)
      << what;
  EXPECT_NE(what.find("'gradient bucket 2' step 3"), std::string::npos) << what;
}

TEST(Guard, DesyncCheckSeesADifferentOperation) {
  auto comm = guarded({5, true});
  if (comm->size() < 2) GTEST_SKIP() << "needs 2 ranks";
  at::Tensor t = at::zeros({8});
  const std::string what = comm_error([&] {
    if (comm->rank() == 1) {
      comm->broadcast(t, 0);
    } else {
      comm->allreduce(t, ReduceOp::kSum);
    }
  });
  EXPECT_NE(what.find("rank 1 issues broadcast(root 0) #1"), std::string::npos) << what;
  EXPECT_NE(what.find("rank(s) differing from rank 0: 1"), std::string::npos) << what;
}

// Rank 0 waits in an all-reduce that the last rank joins only after 1.5 s (it sleeps outside
// any collective); with a 0.3 s deadline rank 0's watchdog must name the late rank.
TEST(Guard, WatchdogNamesTheRankThatHasNotArrived) {
  std::mutex mutex;
  std::condition_variable cv;
  std::string report;
  auto comm = guarded({0.3, false}, [&](const std::string& r) {
    std::lock_guard<std::mutex> lock(mutex);
    report = r;
    cv.notify_all();
  });
  if (comm->size() < 2) GTEST_SKIP() << "needs 2 ranks";
  const int late = comm->size() - 1;
  at::Tensor warm = at::zeros({1});
  comm->allreduce(warm, ReduceOp::kSum);  // #1: every rank has issued one collective
  comm->note_step(7);
  if (comm->rank() == late) std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  at::Tensor t = at::ones({256});
  {
    const CollectiveLabel label("gradient bucket", 0);
    comm->allreduce_async(t, ReduceOp::kSum)->wait();
  }
  EXPECT_TRUE(t.eq(comm->size()).all().item<bool>());
  if (comm->rank() == late) {
    EXPECT_EQ(report, "") << "the late rank was never inside a collective for long";
    return;
  }
  std::unique_lock<std::mutex> lock(mutex);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(5), [&] { return !report.empty(); }));
  EXPECT_NE(report.find("collective watchdog: allreduce(sum) #2 float32[256] (0.00 MiB) 'gradient bucket 0' step 7 "
                        "has not completed after"),
            std::string::npos)
      << report;
  EXPECT_NE(report.find("(comm.timeout_s=0.3)"), std::string::npos) << report;
  EXPECT_NE(report.find("not arrived: rank " + std::to_string(late) + " [host "), std::string::npos) << report;
  EXPECT_NE(report.find("last issued allreduce(sum) #1 float32[1]"), std::string::npos) << report;
  EXPECT_NE(report.find("not inside a collective"), std::string::npos) << report;
  EXPECT_EQ(report.find("no answer"), std::string::npos) << report;
}

}  // namespace
}  // namespace dpt::comm
