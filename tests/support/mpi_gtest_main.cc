// main() for multi-rank GoogleTest programs: MPI lives for the whole run; every rank runs
// every test, and only rank 0 prints the per-test progress (failures are printed by all).
#include <gtest/gtest.h>

#include "runtime/mpi_session.h"

int main(int argc, char** argv) {
  dpt::runtime::MpiSession session(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  if (session.world_rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new ::testing::EmptyTestEventListener);
  }
  const int failed = RUN_ALL_TESTS();
  // Agree on the outcome so that mpiexec sees a failure on any rank from every rank.
  int any = failed != 0 ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return any;
}
