#pragma once
// Timeline: collects this rank's spans (common/trace.h) and writes them, gathered from every
// rank, as one Chrome-trace JSON file that Perfetto and chrome://tracing open: one process per
// rank, one thread per track (step loop, communication thread, loader).
#include <mutex>
#include <string>
#include <vector>

#include "comm/communicator.h"
#include "common/trace.h"

namespace dpt::metrics {

class Timeline : public trace::Sink {
 public:
  // Installs itself as the trace sink; uninstalls when destroyed.
  Timeline();
  ~Timeline() override;
  Timeline(const Timeline&) = delete;
  Timeline& operator=(const Timeline&) = delete;

  void span(int track, std::string name, int64_t begin_us, int64_t end_us) override;

  // Collective: gathers every rank's spans to rank 0, which writes `path` (temp + rename).
  // Stops recording first.
  void write(const std::string& path, comm::Communicator& comm);

 private:
  struct Event {
    int track;
    std::string name;
    int64_t begin_us, end_us;
  };
  std::string events_json(int rank) const;

  mutable std::mutex mutex_;
  std::vector<Event> events_;
  int64_t origin_us_;
};

}  // namespace dpt::metrics
