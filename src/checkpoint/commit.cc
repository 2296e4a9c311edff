#include "checkpoint/commit.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "checkpoint/state.h"
#include "common/error.h"

namespace fs = std::filesystem;

namespace dpt::checkpoint {
namespace {

void fsync_fd_of(const std::string& path, int flags, const char* what) {
  const int fd = ::open(path.c_str(), flags);
  DPT_CHECK(fd >= 0, CheckpointError, "cannot open " << what << " " << path << " to fsync it: " << std::strerror(errno));
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  DPT_CHECK(rc == 0, CheckpointError, "fsync of " << what << " " << path << " failed: " << std::strerror(saved)
                                                  << "; the checkpoint may not be durable (disk full or I/O error?)");
}

// The step of a committed file name step_<digits>.h5, or -1.
int64_t step_of(const std::string& name) {
  if (name.size() <= 8 || name.compare(0, 5, "step_") != 0 || name.compare(name.size() - 3, 3, ".h5") != 0) return -1;
  const std::string digits = name.substr(5, name.size() - 8);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoll(digits);
}

}  // namespace

void fsync_file(const std::string& path) { fsync_fd_of(path, O_RDONLY, "file"); }

void fsync_directory(const std::string& dir) { fsync_fd_of(dir, O_RDONLY | O_DIRECTORY, "directory"); }

void rename_file(const std::string& from, const std::string& to) {
  DPT_CHECK(std::rename(from.c_str(), to.c_str()) == 0, CheckpointError,
            "cannot rename " << from << " to " << to << ": " << std::strerror(errno));
}

std::string read_latest(const std::string& dir) {
  std::ifstream in(dir + "/latest");
  std::string name;
  if (!in.good() || !std::getline(in, name)) return "";
  while (!name.empty() && (name.back() == '\r' || name.back() == ' ')) name.pop_back();
  return name;
}

void write_latest(const std::string& dir, const std::string& name) {
  const std::string tmp = dir + "/latest.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << name << "\n";
    out.close();
    DPT_CHECK(out.good(), CheckpointError, "cannot write " << tmp << "; check space and permissions of " << dir);
  }
  fsync_file(tmp);
  rename_file(tmp, dir + "/latest");
}

std::vector<int64_t> committed_steps(const std::string& dir) {
  std::vector<int64_t> steps;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const int64_t step = step_of(entry.path().filename().string());
    if (step >= 0 && entry.is_regular_file(ec)) steps.push_back(step);
  }
  std::sort(steps.begin(), steps.end());
  return steps;
}

std::vector<int64_t> steps_to_remove(const std::vector<int64_t>& steps, int64_t keep, int64_t keep_every,
                                     int64_t protect) {
  std::vector<int64_t> out;
  if (keep <= 0) return out;
  const size_t kept_newest = static_cast<size_t>(keep);
  for (size_t i = 0; i + kept_newest < steps.size(); ++i) {
    const int64_t s = steps[i];
    if (s == protect || (keep_every > 0 && s % keep_every == 0)) continue;
    out.push_back(s);
  }
  return out;
}

void remove_temporaries(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const bool stale = name == "latest.tmp" ||
                       (name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0 &&
                        step_of(name.substr(0, name.size() - 4)) >= 0);
    if (stale) fs::remove(entry.path(), ec);
  }
}

}  // namespace dpt::checkpoint
