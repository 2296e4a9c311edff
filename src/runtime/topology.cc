#include "runtime/topology.h"

#include "runtime/mpi_check.h"

namespace dpt::runtime {

Topology discover_topology(MPI_Comm world) {
  Topology t;
  DPT_CHECK_MPI(MPI_Comm_rank(world, &t.world_rank));
  DPT_CHECK_MPI(MPI_Comm_size(world, &t.world_size));

  MPI_Comm node = MPI_COMM_NULL;
  DPT_CHECK_MPI(MPI_Comm_split_type(world, MPI_COMM_TYPE_SHARED, t.world_rank, MPI_INFO_NULL, &node));
  DPT_CHECK_MPI(MPI_Comm_rank(node, &t.local_rank));
  DPT_CHECK_MPI(MPI_Comm_size(node, &t.local_size));

  // Node leaders (local rank 0) number themselves in world-rank order, then tell their node.
  MPI_Comm leaders = MPI_COMM_NULL;
  DPT_CHECK_MPI(MPI_Comm_split(world, t.local_rank == 0 ? 0 : MPI_UNDEFINED, t.world_rank, &leaders));
  int info[2] = {0, 1};
  if (leaders != MPI_COMM_NULL) {
    DPT_CHECK_MPI(MPI_Comm_rank(leaders, &info[0]));
    DPT_CHECK_MPI(MPI_Comm_size(leaders, &info[1]));
    DPT_CHECK_MPI(MPI_Comm_free(&leaders));
  }
  DPT_CHECK_MPI(MPI_Bcast(info, 2, MPI_INT, 0, node));
  DPT_CHECK_MPI(MPI_Comm_free(&node));
  t.node_index = info[0];
  t.num_nodes = info[1];
  return t;
}

}  // namespace dpt::runtime
