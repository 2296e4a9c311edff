#include "comm/factory.h"

#include "comm/mpi/mpi_communicator.h"
#include "common/env.h"
#include "common/error.h"
#ifdef DPT_WITH_NCCL
#include "comm/nccl/nccl_factory.h"
#endif

namespace dpt::comm {

std::string resolve_backend(const std::string& backend, const runtime::DeviceBinding& device) {
  if (backend != "auto") return backend;
#ifdef DPT_WITH_NCCL
  if (device.cuda) return "nccl";
#endif
  (void)device;
  return "mpi";
}

namespace {

std::unique_ptr<Communicator> make_backend(const std::string& chosen, MPI_Comm world,
                                           const runtime::DeviceBinding& device) {
  (void)device;  // only the NCCL backend binds to it
  if (chosen == "mpi") return std::make_unique<MpiCommunicator>(world);
  if (chosen == "nccl") {
#ifdef DPT_WITH_NCCL
    return make_nccl_communicator(world, device.cuda ? device.index : 0);
#else
    DPT_THROW(CommError, "comm.backend=nccl but this dptrain was built without NCCL "
                         "(configure with -DDPT_WITH_NCCL=ON and a CUDA toolkit + NCCL)");
#endif
  }
  DPT_THROW(ConfigError, "comm.backend='" << chosen << "' is not a backend; use auto, mpi or nccl");
}

}  // namespace

std::unique_ptr<Communicator> make_communicator(const std::string& backend, MPI_Comm world,
                                                const runtime::DeviceBinding& device, GuardOptions guard) {
  std::unique_ptr<Communicator> comm = make_backend(resolve_backend(backend, device), world, device);
  guard.check_collectives = guard.check_collectives || env::get_string(env::kDebugCollectives, "0") == "1";
  if (guard.timeout_s == 0 && !guard.check_collectives) return comm;
  return std::make_unique<GuardedCommunicator>(std::move(comm), world, guard);
}

}  // namespace dpt::comm
