#pragma once
// What a distributed command sets up before it works: the launcher check, the topology, the
// device binding and the threads per rank, from the [run] section.
#include "comm/guarded_communicator.h"
#include "config/config.h"
#include "runtime/device.h"
#include "runtime/topology.h"

namespace dpt::apps {

struct RankContext {
  runtime::Topology topology;
  runtime::DeviceBinding device;
  int threads = 1;
};

// Collective over MPI_COMM_WORLD. Logs the layout on rank 0.
RankContext setup_rank(const config::Config& config);

// The watchdog and desync-check options of the [comm] section, for make_communicator().
comm::GuardOptions guard_options(const config::Config& config);

}  // namespace dpt::apps
