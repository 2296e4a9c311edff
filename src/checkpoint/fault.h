#pragma once
// Note [Checkpoint fault injection]
// A test-only seam: DPT_CHECKPOINT_FAULT=<stage>:<action>[:<rank>[:<step>]] makes the writer
// misbehave when rank <rank> (default 0; '*' = every rank) reaches <stage> of the checkpoint
// of step <step> (default: any step). The stages, in the order a checkpoint passes them:
//   create   step_N.h5.tmp was created, nothing written yet
//   tensors  half of the tensors are written
//   close    the file is closed (complete) but not yet fsynced
//   fsync    fsynced, not yet renamed to step_N.h5
//   rename   step_N.h5 exists, `latest` still names the previous checkpoint
//   latest   `latest` names step_N.h5, older checkpoints not yet pruned
// Actions: kill (the rank sends itself SIGKILL), pause (prints "checkpoint fault: paused at
// <stage> pid <pid>" to stderr and sleeps until killed), throw (throws CheckpointError).
// tests/mpi/checkpoint/crash_test.sh uses it to check that a crash anywhere leaves the previous
// checkpoint intact and `latest` pointing at a complete file.
#include <cstdint>

namespace dpt::checkpoint {

// Acts when DPT_CHECKPOINT_FAULT names this stage, rank and step; otherwise does nothing.
void fault_point(const char* stage, int rank, int64_t step);

}  // namespace dpt::checkpoint
