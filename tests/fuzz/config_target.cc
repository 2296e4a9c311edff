// Fuzz target: the configuration parser (config/command_line.h) on the command line and the INI
// file of `dptrain train`. Checks beyond "no crash": a configuration that parses prints as an
// INI text (Config::to_ini) that parses again to the same configuration, because that text is
// what runs/<name>/config.ini and every checkpoint store and what a resumed run reads back.
#include <string>
#include <vector>

#include "common/error.h"
#include "config/command_line.h"
#include "support.h"
#include "targets.h"

namespace dpt::fuzz {
namespace {

namespace po = boost::program_options;

// The sections and local options of `dptrain train` (apps/train.cc), without linking apps.
config::CommandSpec train_spec() {
  config::CommandSpec s;
  s.name = "train";
  s.sections = {"run", "comm", "data", "model", "train", "optim", "ddp", "eval", "checkpoint", "log"};
  s.local.add_options()("resume", po::value<std::string>(), "")("stop-after", po::value<int64_t>(), "");
  return s;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return lines;
}

}  // namespace

void config_input(const uint8_t* data, size_t size) {
  static const config::CommandSpec spec = train_spec();
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  std::vector<std::string> args = split_lines(input.substr(0, nul));
  if (nul != std::string::npos) {
    args.push_back("--config");
    args.push_back(write_scratch("config-ini", data + nul + 1, size - nul - 1));
  }
  config::ParsedCommand parsed;
  try {
    parsed = config::parse_command(spec, args);
    parsed.config.get_int_list("model.hidden");
  } catch (const dpt::ConfigError&) {
    return;  // rejected with a clear message: fine
  }
  if (parsed.help) return;
  const std::string ini = parsed.config.to_ini();
  const std::string path = write_scratch("config-roundtrip", reinterpret_cast<const uint8_t*>(ini.data()), ini.size());
  config::ParsedCommand again;
  try {
    again = config::parse_command(spec, {"--config", path});
  } catch (const dpt::ConfigError& e) {
    finding("config", (std::string("the resolved config does not parse again: ") + e.what()).c_str());
  }
  if (again.config.to_ini() != ini) finding("config", "the resolved config reads back different");
}

}  // namespace dpt::fuzz
