#pragma once
// Topology: where this rank sits in the job. Computed once, collectively, from MPI (the one
// source of truth for the process layout): never from rank % N or launcher variables.
#include <mpi.h>

namespace dpt::runtime {

struct Topology {
  int world_rank = 0;
  int world_size = 1;
  int local_rank = 0;  // rank among the ranks on this node
  int local_size = 1;  // ranks on this node
  int node_index = 0;  // 0 .. num_nodes-1, ordered by the lowest world rank on each node
  int num_nodes = 1;
};

// Collective over `world`: every rank must call it. Uses MPI_Comm_split_type(SHARED) to find
// the ranks of this node.
Topology discover_topology(MPI_Comm world);

}  // namespace dpt::runtime
