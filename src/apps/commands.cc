#include "apps/command.h"

namespace dpt::apps {

const std::vector<Command>& commands() {
  static const std::vector<Command> list = {
      train_command(),
      eval_command(),
      export_command(),
      prepare_idx_command(),
      prepare_text_command(),
      vocab_command(),
      tokenize_command(),
      inspect_command(),
      bench_allreduce_command(),
      bench_loader_command(),
      bench_checkpoint_command(),
      bench_tokenizer_command(),
  };
  return list;
}

}  // namespace dpt::apps
