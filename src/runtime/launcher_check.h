#pragma once
// The launcher check: a job whose launcher started N > 1 tasks but whose MPI world has one
// rank (e.g. `srun --mpi=none`, or a PMI plugin MPI cannot use) would run N independent
// one-rank trainings writing the same run directory. This check turns that into an error.
#include <map>
#include <string>

namespace dpt::runtime {

// Task count announced by the launcher environment (SLURM_STEP_NUM_TASKS, SLURM_NTASKS,
// OMPI_COMM_WORLD_SIZE, PMI_SIZE, PMIX_SIZE), with the variable that said so; 0 when none does.
struct AnnouncedTasks {
  int count = 0;
  std::string variable;
};
AnnouncedTasks announced_tasks(const std::map<std::string, std::string>& environment);
std::map<std::string, std::string> process_environment();

// Throws CommError with a launch hint when the environment announces more tasks than
// `mpi_world_size`. Skipped when DPT_SKIP_LAUNCHER_CHECK=1 is in `environment`.
void check_launcher(int mpi_world_size, const std::map<std::string, std::string>& environment);

}  // namespace dpt::runtime
