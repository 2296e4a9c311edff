#include "common/trace.h"

namespace dpt::trace {
namespace {
std::atomic<Sink*> g_sink{nullptr};
}  // namespace

void install(Sink* sink) { g_sink.store(sink, std::memory_order_release); }

Sink* current() { return g_sink.load(std::memory_order_relaxed); }

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace dpt::trace
