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

// The check before MPI_Init: an srun job step of N > 1 tasks whose tasks got no process-
// management interface (no PMIX_*/PMI_* variables, not started by mpirun) — `srun --mpi=none`,
// or a site whose default --mpi is none. MPI_Init would fail there with Open MPI's own message,
// which blames how Open MPI was built; this one names the fix. Throws CommError; skipped when
// DPT_SKIP_LAUNCHER_CHECK=1 is in `environment`.
void check_launch_before_mpi(const std::map<std::string, std::string>& environment);

// Throws CommError with a launch hint when the environment announces more tasks than
// `mpi_world_size`. Skipped when DPT_SKIP_LAUNCHER_CHECK=1 is in `environment`.
void check_launcher(int mpi_world_size, const std::map<std::string, std::string>& environment);

}  // namespace dpt::runtime
