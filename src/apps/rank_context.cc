#include "apps/rank_context.h"

#include <ATen/Parallel.h>

#include "common/log.h"
#include "runtime/launcher_check.h"

// Note [BLAS threads]: OpenBLAS (the BLAS of Debian's LibTorch) sizes its own thread pool when
// it loads, from the CPU affinity, and at::set_num_threads does not change it. A rank pinned to
// one core (mpirun binds by default) then multiplies with 1 BLAS thread and an unpinned one
// (srun without a task-binding plugin) with every core: different GEMM blockings, different
// rounding, different losses for the same run. Setting it from run.threads makes the result
// independent of the launcher. Weak, so other BLAS libraries (without the symbol) link too.
extern "C" void openblas_set_num_threads(int threads) __attribute__((weak));

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
  if (openblas_set_num_threads != nullptr) openblas_set_num_threads(ctx.threads);  // Note [BLAS threads]
  DPT_LOG(kInfo) << ctx.topology.world_size << " rank(s) on " << ctx.topology.num_nodes << " node(s), "
                 << ctx.topology.local_size << " per node; rank 0 on " << ctx.device.str() << ", "
                 << ctx.threads << " thread(s) per rank";
  return ctx;
}

comm::GuardOptions guard_options(const config::Config& config) {
  comm::GuardOptions options;
  options.timeout_s = config.get_double("comm.timeout_s");
  options.check_collectives = config.get_bool("comm.check_collectives");
  return options;
}

}  // namespace dpt::apps
