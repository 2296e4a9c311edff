#pragma once
// Command-line + INI parsing for one subcommand, driven by the schema (config/schema.h).
//
// Precedence: schema default < --config FILE < --section.key=value on the command line.
// An unknown key is rejected with the nearest known name suggested; an option of a section the
// command does not use is rejected too, so a typo never silently does nothing.
#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>
#include <string>
#include <vector>

#include "config/config.h"

namespace dpt::config {

struct CommandSpec {
  std::string name;                   // "bench allreduce"
  std::string summary;                // one line for --help and the command list
  std::vector<std::string> sections;  // config sections this command reads
  // Options that only this command takes (command line only, not INI), e.g. --images.
  boost::program_options::options_description local{"command options"};
  // Local options that may also be given positionally, in order (each takes one value).
  std::vector<std::string> positional;
};

struct ParsedCommand {
  Config config;
  boost::program_options::variables_map local;  // values of CommandSpec::local
  bool help = false;                            // --help was given: print help_text, do nothing
  std::string config_file;                      // --config, or empty
};

// Parses `args` (without the program and command names). Throws ConfigError.
ParsedCommand parse_command(const CommandSpec& spec, const std::vector<std::string>& args);

// The --help text: usage, summary, the command's options, then its config sections.
std::string help_text(const CommandSpec& spec);

// The candidate closest to `name` by edit distance, or "" when nothing is reasonably close.
std::string nearest(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace dpt::config
