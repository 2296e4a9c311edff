// export_load <model.pt> <checkpoint.h5>: loads a `dptrain export` archive into the MLP of
// configs/fashion_mnist_mlp.ini with torch::load (the C++ way the docs describe) and checks
// that every parameter equals the checkpoint's model/<name>. Exit 0 when all match. Run by
// interop_test.sh.
#include <torch/serialize.h>

#include <cstdio>

#include "checkpoint/io_comm.h"
#include "checkpoint/reader.h"
#include "models/mlp.h"
#include "runtime/mpi_session.h"

int main(int argc, char** argv) {
  dpt::runtime::MpiSession session(&argc, &argv);
  if (argc != 3) {
    std::fprintf(stderr, "usage: export_load <model.pt> <checkpoint.h5>\n");
    return 2;
  }
  auto model = std::make_shared<dpt::models::Mlp>(784, std::vector<int64_t>{256, 256}, 10);
  torch::load(model, argv[1]);
  dpt::checkpoint::IoComm comm(MPI_COMM_WORLD);
  dpt::checkpoint::Reader reader(argv[2], comm);
  int matched = 0;
  for (const auto& item : model->named_parameters()) {
    const auto* info = reader.manifest().find("model/" + item.key());
    if (info == nullptr || !at::equal(reader.read(*info), item.value())) {
      std::fprintf(stderr, "FAIL: parameter %s differs from the checkpoint\n", item.key().c_str());
      return 1;
    }
    ++matched;
  }
  std::printf("torch::load: %d parameters equal the checkpoint's\n", matched);
  return matched == 6 ? 0 : 1;
}
