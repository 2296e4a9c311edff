#include "common/progress.h"

#include <unistd.h>

#include <cstdio>

#include "common/log.h"

namespace dpt {
namespace {

std::string format_eta(double seconds) {
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  char text[32];
  if (s >= 3600) std::snprintf(text, sizeof text, "%lldh%02lldm", static_cast<long long>(s / 3600), static_cast<long long>(s % 3600 / 60));
  else std::snprintf(text, sizeof text, "%lldm%02llds", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  return text;
}

}  // namespace

Progress::Mode Progress::parse_mode(const std::string& text) {
  if (text == "bar") return Mode::kBar;
  if (text == "lines") return Mode::kLines;
  if (text == "off") return Mode::kOff;
  return Mode::kAuto;
}

Progress::Progress(std::string label, int64_t total, Mode mode, int64_t line_every)
    : label_(std::move(label)), total_(total), line_every_(line_every < 1 ? 1 : line_every) {
  off_ = mode == Mode::kOff || log::rank() > 0;
  bar_ = mode == Mode::kBar || (mode == Mode::kAuto && ::isatty(STDERR_FILENO));
}

Progress::~Progress() {
  if (drawn_) std::fputc('\n', stderr);
}

void Progress::update(int64_t done, const std::string& status) {
  if (off_) return;
  const double elapsed = clock_.seconds();
  std::string eta;
  if (total_ > 0 && done > 0) eta = " ETA " + format_eta(elapsed / static_cast<double>(done) * static_cast<double>(total_ - done));
  if (bar_) {
    if (since_draw_.seconds() < 0.1 && done < total_) return;  // redraw at most 10×/s
    since_draw_.reset();
    constexpr int kWidth = 24;
    const int filled = total_ > 0 ? static_cast<int>(kWidth * done / total_) : 0;
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r\033[K%s [%s] %lld/%lld %s%s", label_.c_str(), bar.c_str(),
                 static_cast<long long>(done), static_cast<long long>(total_), status.c_str(), eta.c_str());
    std::fflush(stderr);
    drawn_ = true;
    return;
  }
  if (done == total_ || last_line_ < 0 || done - last_line_ >= line_every_) {
    last_line_ = done;
    log::write(log::Level::kInfo, label_ + " " + std::to_string(done) + "/" + std::to_string(total_) + " " +
                                      status + eta);
  }
}

void Progress::note(const std::string& line) {
  if (off_) return;
  if (bar_ && drawn_) std::fputs("\r\033[K", stderr);
  log::write(log::Level::kInfo, line);
  if (bar_ && drawn_) since_draw_ = Stopwatch();
}

}  // namespace dpt
