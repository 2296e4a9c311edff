// dptrain: one binary, git-style subcommands. The one place that turns an error into an exit
// code (one rank) or MPI_Abort (several ranks), so a failure on one rank ends the whole job.
#include <mpi.h>

#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "apps/command.h"
#include "common/env.h"
#include "common/error.h"
#include "common/log.h"
#include "config/command_line.h"
#include "runtime/launcher_check.h"
#include "runtime/mpi_session.h"
#include "runtime/signals.h"

namespace {

using dpt::apps::Command;

void print_usage(std::ostream& out) {
  out << "usage: dptrain <command> [options]   (dptrain <command> --help for its options)\n\n"
         "commands:\n";
  for (const Command& c : dpt::apps::commands()) {
    const auto spec = c.spec();
    out << "  " << spec.name << std::string(spec.name.size() < 20 ? 20 - spec.name.size() : 1, ' ')
        << spec.summary << "\n";
  }
  out << "  help env            the DPT_* environment variables\n"
         "\nexit codes: 0 done, 1 runtime error, 2 bad command line or configuration,\n"
         "            75 stopped by a signal after a checkpoint (continue with --resume auto)\n";
}

void print_env_help(std::ostream& out) {
  for (const auto& v : dpt::env::all()) out << "  " << v.name << "\n      " << v.meaning << "\n";
}

// The command whose name matches the most leading words of args, or nullptr.
const Command* find_command(const std::vector<std::string>& args, size_t* words) {
  const Command* best = nullptr;
  for (const Command& c : dpt::apps::commands()) {
    std::vector<std::string> name_words;
    std::string name = c.spec().name;
    for (size_t pos = 0; pos != std::string::npos;) {
      const size_t next = name.find(' ', pos);
      name_words.push_back(name.substr(pos, next == std::string::npos ? next : next - pos));
      pos = next == std::string::npos ? next : next + 1;
    }
    if (name_words.size() > args.size()) continue;
    bool match = true;
    for (size_t i = 0; i < name_words.size(); ++i) match = match && args[i] == name_words[i];
    if (match && (best == nullptr || name_words.size() > *words)) {
      best = &c;
      *words = name_words.size();
    }
  }
  return best;
}

int run(const std::vector<std::string>& args, int rank) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    if (args.size() >= 2 && args[0] == "help" && args[1] == "env") {
      if (rank == 0) print_env_help(std::cout);
      return dpt::apps::kExitOk;
    }
    if (rank == 0) print_usage(args.empty() ? std::cerr : std::cout);
    return args.empty() ? dpt::apps::kExitUsage : dpt::apps::kExitOk;
  }
  if (args[0] == "--version") {
    if (rank == 0) std::cout << "dptrain " << DPT_VERSION << "\n";
    return dpt::apps::kExitOk;
  }
  size_t words = 0;
  const Command* command = find_command(args, &words);
  if (command == nullptr) {
    std::vector<std::string> names;
    for (const Command& c : dpt::apps::commands()) names.push_back(c.spec().name);
    std::string guess = dpt::config::nearest(args[0] + (args.size() > 1 ? " " + args[1] : ""), names);
    DPT_THROW(ConfigError, "unknown command '" << args[0] << "'"
              << (guess.empty() ? "" : "; did you mean '" + guess + "'?") << " Run 'dptrain --help'.");
  }
  const auto spec = command->spec();
  const auto parsed = dpt::config::parse_command(spec, {args.begin() + static_cast<long>(words), args.end()});
  if (parsed.help) {
    if (rank == 0) std::cout << dpt::config::help_text(spec);
    return dpt::apps::kExitOk;
  }
  return command->run(parsed);
}

}  // namespace

int main(int argc, char** argv) {
  std::unique_ptr<dpt::runtime::MpiSession> session;
  int code = dpt::apps::kExitOk;
  try {
    // Before MPI_Init, which would fail with a less helpful message of its own.
    dpt::runtime::check_launch_before_mpi(dpt::runtime::process_environment());
    session = std::make_unique<dpt::runtime::MpiSession>(&argc, &argv);
    code = run({argv + 1, argv + argc}, session->world_rank());
  } catch (const dpt::ConfigError& e) {
    dpt::log::write(dpt::log::Level::kError, std::string("ConfigError: ") + e.what());
    code = dpt::apps::kExitUsage;
  } catch (const dpt::Error& e) {
    dpt::log::write(dpt::log::Level::kError, e.kind() + ": " + e.what());
    code = dpt::apps::kExitError;
  } catch (const std::exception& e) {
    dpt::log::write(dpt::log::Level::kError, std::string("unexpected error: ") + e.what());
    code = dpt::apps::kExitError;
  }
  // A stop (kExitStopped) is not a failure: every rank agreed on it and returns it together,
  // and the launcher's clean-up SIGTERM must not turn it into a kill (runtime/signals.h).
  if (code == dpt::apps::kExitStopped) dpt::runtime::ignore_stop_signals();
  // With several ranks a failing rank must not leave the others blocked in a collective.
  if (code != dpt::apps::kExitOk && code != dpt::apps::kExitStopped && session && session->world_size() > 1) {
    MPI_Abort(MPI_COMM_WORLD, code);
  }
  return code;
}
