#include "apps/command.h"

namespace dpt::apps {

const std::vector<Command>& commands() {
  static const std::vector<Command> list = {
      bench_allreduce_command(),
  };
  return list;
}

}  // namespace dpt::apps
