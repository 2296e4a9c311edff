#include "apps/rank_context.h"

#include <ATen/Parallel.h>

#include "common/log.h"
#include "runtime/launcher_check.h"

namespace dpt::apps {

RankContext setup_rank(const config::Config& config) {
  RankContext ctx;
  ctx.topology = runtime::discover_topology(MPI_COMM_WORLD);
  if (config.get_bool("run.launcher_check")) {
    runtime::check_launcher(ctx.topology.world_size, runtime::process_environment());
  }
  ctx.device = runtime::bind_device(ctx.topology);
  ctx.threads = runtime::threads_per_rank(ctx.topology, static_cast<int>(config.get_int("run.threads")));
  at::set_num_threads(ctx.threads);
  DPT_LOG(kInfo) << ctx.topology.world_size << " rank(s) on " << ctx.topology.num_nodes << " node(s), "
                 << ctx.topology.local_size << " per node; rank 0 on " << ctx.device.str() << ", "
                 << ctx.threads << " thread(s) per rank";
  return ctx;
}

}  // namespace dpt::apps
