#pragma once
// Spans for the timeline (Chrome trace). Code at any level marks spans with DPT_TRACE_SPAN;
// they go to the process's trace sink when one is installed (metrics/timeline.h installs one
// when log.timeline=true) and cost one relaxed atomic load when none is.
//
//   { DPT_TRACE_SPAN("forward", trace::kMainTrack); model.forward(x); }
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace dpt::trace {

// Tracks (Chrome trace "threads") of a rank.
inline constexpr int kMainTrack = 0;  // the step loop
inline constexpr int kCommTrack = 1;  // the communication thread
inline constexpr int kDataTrack = 2;  // the loader's worker 0; worker w uses kDataTrack + w

class Sink {
 public:
  virtual ~Sink() = default;
  // A finished span; times in microseconds since the sink's epoch (now_us()). Thread-safe.
  virtual void span(int track, std::string name, int64_t begin_us, int64_t end_us) = 0;
};

// Installs `sink` (or nullptr to stop tracing). The sink must outlive its installation.
void install(Sink* sink);
Sink* current();
// Microseconds on the steady clock.
int64_t now_us();

// Records [construction, destruction) as a span when a sink is installed.
class Span {
 public:
  Span(const char* name, int track) : sink_(current()), name_(name), track_(track), begin_(sink_ ? now_us() : 0) {}
  // A name built at run time (a bucket's label): copied only while tracing.
  Span(const std::string& name, int track) : sink_(current()), dynamic_(sink_ ? name : std::string()), track_(track),
                                             begin_(sink_ ? now_us() : 0) {}
  ~Span() {
    if (sink_) sink_->span(track_, name_ ? std::string(name_) : std::move(dynamic_), begin_, now_us());
  }
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;

 private:
  Sink* sink_;
  const char* name_ = nullptr;
  std::string dynamic_;
  int track_;
  int64_t begin_;
};

}  // namespace dpt::trace

#define DPT_TRACE_CONCAT_(a, b) a##b
#define DPT_TRACE_CONCAT(a, b) DPT_TRACE_CONCAT_(a, b)
#define DPT_TRACE_SPAN(name, track) ::dpt::trace::Span DPT_TRACE_CONCAT(dpt_span_, __LINE__)(name, track)
