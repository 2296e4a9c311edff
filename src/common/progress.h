#pragma once
// Progress of long work on rank 0: a one-line bar redrawn in place on a terminal, or plain
// periodic lines when stderr is a file or pipe (logs, Slurm output).
#include <cstdint>
#include <string>

#include "common/timer.h"

namespace dpt {

class Progress {
 public:
  enum class Mode { kAuto, kBar, kLines, kOff };
  static Mode parse_mode(const std::string& text);  // auto|bar|lines|off

  // `total` units of work (0 = unknown); in line mode a line every `line_every` units.
  Progress(std::string label, int64_t total, Mode mode, int64_t line_every);
  ~Progress();  // ends the bar's line

  // Reports `done` units finished, with `status` (e.g. "loss 0.41 lr 0.1 812 samples/s").
  void update(int64_t done, const std::string& status);
  // Prints a line above the bar (keeps the bar intact on a terminal).
  void note(const std::string& line);

 private:
  std::string label_;
  int64_t total_;
  bool bar_ = false;
  bool off_ = false;
  int64_t line_every_;
  int64_t last_line_ = -1;
  bool drawn_ = false;
  Stopwatch clock_;
  Stopwatch since_draw_;
};

}  // namespace dpt
