// The step-boundary stop agreement: a signal seen by one rank stops all ranks, and all ranks
// get the same answer when they saw different signals.
#include <gtest/gtest.h>
#include <mpi.h>

#include <csignal>

#include "comm/mpi/mpi_communicator.h"
#include "comm/stop_agreement.h"
#include "runtime/signals.h"

namespace dpt::comm {
namespace {

TEST(StopAgreement, NoSignalAnywhereMeansNoStop) {
  MpiCommunicator comm(MPI_COMM_WORLD);
  runtime::clear_stop_request();
  EXPECT_EQ(stop_signal_anywhere(comm), 0);
  EXPECT_FALSE(stop_requested_anywhere(comm));
}

TEST(StopAgreement, OneRanksSignalStopsEveryRank) {
  MpiCommunicator comm(MPI_COMM_WORLD);
  runtime::clear_stop_request();
  if (comm.rank() == comm.size() - 1) runtime::request_stop(SIGUSR1);
  EXPECT_EQ(stop_signal_anywhere(comm), SIGUSR1);
  runtime::clear_stop_request();
}

TEST(StopAgreement, DifferentSignalsGiveOneAnswer) {
  MpiCommunicator comm(MPI_COMM_WORLD);
  runtime::clear_stop_request();
  runtime::request_stop(comm.rank() % 2 == 0 ? SIGTERM : SIGUSR2);
  const int expected = comm.size() > 1 ? std::max(SIGTERM, SIGUSR2) : SIGTERM;
  EXPECT_EQ(stop_signal_anywhere(comm), expected);
  runtime::clear_stop_request();
}

}  // namespace
}  // namespace dpt::comm
