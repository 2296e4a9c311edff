#pragma once
// The subcommand registry of the dptrain binary. Each subcommand lives in its own file and
// registers a Command; main() picks one by the leading words of the command line.
#include <functional>
#include <string>
#include <vector>

#include "config/command_line.h"

namespace dpt::apps {

// Exit codes of dptrain (documented in the README).
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;  // a runtime failure (data, checkpoint, communication)
inline constexpr int kExitUsage = 2;  // bad command line or configuration
// A stop signal (run.stop_signals) arrived; every rank stopped at the same step boundary after
// a checkpoint was committed. Not a failure: `dptrain train --resume auto` continues where it
// stopped, and cluster/slurm/train.sbatch requeues the job on this code. 75 is EX_TEMPFAIL of
// <sysexits.h> ("temporary failure; try again later"), far from 1/2 and from the 128+N of a
// process killed by signal N.
inline constexpr int kExitStopped = 75;

struct Command {
  // Builds the command's spec (name, summary, sections, local options).
  std::function<config::CommandSpec()> spec;
  // Runs it with parsed options; returns the exit code. Errors are thrown, not returned.
  std::function<int(const config::ParsedCommand&)> run;
};

// Every registered command, in --help order.
const std::vector<Command>& commands();

// Each command file provides one of these (see commands.cc for the list).
Command bench_allreduce_command();
Command prepare_idx_command();
Command inspect_command();
Command bench_loader_command();
Command train_command();
Command eval_command();
Command export_command();
Command bench_checkpoint_command();
Command prepare_text_command();
Command vocab_command();
Command tokenize_command();
Command bench_tokenizer_command();

}  // namespace dpt::apps
