#pragma once
// The option schema: the single table of every configuration option (name, type, default,
// help, limits). Parsing, --help, validation, the resolved-config print and the copy stored
// with runs and checkpoints are all derived from it (Note [One source of truth]).
//
// Names are "<section>.<key>"; an INI file's [section] + key maps to the same name, and the
// command line sets it as --section.key=value.
#include <string>
#include <vector>

namespace dpt::config {

enum class Type { kInt, kDouble, kBool, kString };

struct OptionSpec {
  std::string name;           // "train.global_batch"
  Type type;
  std::string default_value;  // text form; parsed like user input
  std::string help;
  double min = -1e300;        // numeric options: smallest allowed value
  std::string choices;        // string options: "auto|mpi|nccl"; empty = free text
};

struct Section {
  std::string name;  // "comm"
  std::string help;  // one line for --help
};

// Every section, in the order --help and the resolved config print them.
const std::vector<Section>& sections();
// Every option, grouped by section in sections() order.
const std::vector<OptionSpec>& schema();
// The spec named `name`, or nullptr.
const OptionSpec* find_option(const std::string& name);

}  // namespace dpt::config
