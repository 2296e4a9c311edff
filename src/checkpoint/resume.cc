#include "checkpoint/resume.h"

#include <filesystem>
#include <sstream>

#include "checkpoint/commit.h"
#include "checkpoint/io_comm.h"
#include "checkpoint/reader.h"
#include "common/error.h"
#include "common/log.h"

namespace fs = std::filesystem;

namespace dpt::checkpoint {
namespace {

// Candidates in checkpoint directory `dir` (rank 0's view).
std::vector<std::string> candidates_in(const std::string& dir) {
  std::vector<std::string> out;
  const std::vector<int64_t> steps = committed_steps(dir);
  const std::string latest = read_latest(dir);
  int64_t newest = steps.empty() ? -1 : steps.back();
  if (!latest.empty()) {
    out.push_back(dir + "/" + latest);
    newest = -1;
    for (int64_t s : steps) {
      if (step_file_name(s) == latest) newest = s;
    }
    if (newest < 0) return out;  // latest names a file we cannot see: try it alone, then fail
    --newest;                    // older than latest
  }
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    if (*it <= newest) out.push_back(dir + "/" + step_file_name(*it));
  }
  return out;
}

std::vector<std::string> resolve(const std::string& spec, const std::string& checkpoint_dir) {
  if (spec == "auto") return fs::is_directory(checkpoint_dir) ? candidates_in(checkpoint_dir) : std::vector<std::string>{};
  DPT_CHECK(fs::exists(spec), ConfigError, "--resume " << spec << ": no such file or directory; pass a checkpoint "
                                           "file, a checkpoint or run directory, or 'auto'");
  if (!fs::is_directory(spec)) return {spec};
  const std::string dir = fs::is_directory(spec + "/checkpoints") ? spec + "/checkpoints" : spec;
  std::vector<std::string> out = candidates_in(dir);
  DPT_CHECK(!out.empty(), ConfigError, "--resume " << spec << ": " << dir << " holds no committed checkpoint");
  return out;
}

}  // namespace

std::vector<std::string> resume_candidates(const std::string& spec, const std::string& checkpoint_dir) {
  IoComm comm(MPI_COMM_WORLD);
  std::string joined;
  comm.agreed([&] {
    if (comm.rank() != 0) return;
    for (const auto& path : resolve(spec, checkpoint_dir)) joined += path + "\n";
  });
  joined = comm.broadcast(joined, 0);
  std::vector<std::string> out;
  std::istringstream in(joined);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

Loaded load_first_valid(const std::vector<std::string>& candidates,
                        const std::function<void(const Manifest&)>& check) {
  IoComm comm(MPI_COMM_WORLD);
  std::string failures;
  for (size_t i = 0; i < candidates.size(); ++i) {
    try {
      Reader reader(candidates[i], comm);
      try {
        comm.agreed([&] { check(reader.manifest()); });
      } catch (const ConfigError& e) {
        throw ConfigError("checkpoint " + candidates[i] + ": " + e.what());
      }
      Loaded loaded{candidates[i], reader.manifest(), reader.read_replicated(), reader.read_rank_state()};
      return loaded;
    } catch (const CheckpointError& e) {
      failures += std::string(failures.empty() ? "" : "; ") + e.what();
      if (comm.rank() != 0) continue;
      DPT_LOG(kWarn) << "cannot resume from " << candidates[i] << ": " << e.what()
                     << (i + 1 < candidates.size() ? "; falling back to " + candidates[i + 1] : std::string());
    }
  }
  DPT_THROW(CheckpointError, "no usable checkpoint among " << candidates.size() << " candidate(s): " << failures
                             << ". Start without --resume, or pass an intact checkpoint file");
}

}  // namespace dpt::checkpoint
