#include "runtime/launcher_check.h"

#include <cstdlib>

#include "common/env.h"
#include "common/error.h"

extern char** environ;

namespace dpt::runtime {

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry = *e;
    const auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return env;
}

AnnouncedTasks announced_tasks(const std::map<std::string, std::string>& environment) {
  // Most specific first: a job step's own task count beats the allocation's.
  for (const char* name : {"SLURM_STEP_NUM_TASKS", "SLURM_NTASKS", "OMPI_COMM_WORLD_SIZE",
                           "PMIX_SIZE", "PMI_SIZE"}) {
    const auto it = environment.find(name);
    if (it == environment.end()) continue;
    const int n = std::atoi(it->second.c_str());
    if (n > 0) return {n, name};
  }
  return {};
}

void check_launch_before_mpi(const std::map<std::string, std::string>& environment) {
  const auto skip = environment.find(env::kSkipLauncherCheck);
  if (skip != environment.end() && skip->second == "1") return;
  const auto step_tasks = environment.find("SLURM_STEP_NUM_TASKS");
  if (step_tasks == environment.end() || std::atoi(step_tasks->second.c_str()) <= 1) return;
  // srun --mpi=pmix sets PMIX_RANK, --mpi=pmi2 PMI_RANK and PMI_FD; mpirun sets OMPI_COMM_WORLD_*.
  for (const char* name : {"PMIX_RANK", "PMI_RANK", "PMI_FD", "OMPI_COMM_WORLD_SIZE"}) {
    if (environment.count(name) != 0) return;
  }
  DPT_THROW(CommError,
            "srun started " << step_tasks->second << " tasks (SLURM_STEP_NUM_TASKS=" << step_tasks->second
            << ") without a process-management interface (no PMIX_* or PMI_* variables: 'srun --mpi=none', or "
            "a site default of none), so they cannot form one MPI world. Launch with 'srun --mpi=pmix ...' "
            "(see 'srun --mpi=list') or 'mpirun -np N ...'; " << env::kSkipLauncherCheck
            << "=1 skips this check");
}

void check_launcher(int mpi_world_size, const std::map<std::string, std::string>& environment) {
  const auto skip = environment.find(env::kSkipLauncherCheck);
  if (skip != environment.end() && skip->second == "1") return;
  const AnnouncedTasks tasks = announced_tasks(environment);
  if (tasks.count <= 1 || tasks.count == mpi_world_size) return;
  DPT_THROW(CommError,
            "the launcher announced " << tasks.count << " tasks (" << tasks.variable << "=" << tasks.count
            << ") but MPI formed a world of " << mpi_world_size << " rank(s): the tasks would train "
            "independently. Launch with 'srun --mpi=pmix ...' under Slurm or 'mpirun -np N ...' "
            "(check 'srun --mpi=list'); to run one process inside an allocation anyway, set "
            << env::kSkipLauncherCheck << "=1 or --run.launcher_check=false");
}

}  // namespace dpt::runtime
