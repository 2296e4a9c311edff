#include "metrics/timeline.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "common/error.h"

namespace dpt::metrics {
namespace {

const char* track_name(int track) {
  switch (track) {
    case trace::kMainTrack: return "step loop";
    case trace::kCommTrack: return "communication";
    case trace::kDataTrack: return "loader";
  }
  return "other";
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// A string through the communicator: lengths all-gathered, then the characters, one int32 each
// (the communicators carry no byte dtype), through plain pointers: a per-element tensor op
// would cost microseconds per character.
std::vector<std::string> gather_strings(const std::string& mine, comm::Communicator& comm) {
  at::Tensor length = at::full({1}, static_cast<int64_t>(mine.size()), at::kLong);
  at::Tensor lengths = at::empty({comm.size()}, at::kLong);
  comm.allgather(length, lengths);
  const int64_t longest = lengths.max().item<int64_t>();
  at::Tensor padded = at::zeros({longest}, at::kInt);
  std::copy(mine.begin(), mine.end(), padded.data_ptr<int32_t>());
  at::Tensor all = at::empty({comm.size() * longest}, at::kInt);
  comm.allgather(padded, all);
  std::vector<std::string> out;
  const int32_t* data = all.data_ptr<int32_t>();
  const int64_t* length_of = lengths.data_ptr<int64_t>();
  for (int r = 0; r < comm.size(); ++r) {
    const int32_t* first = data + r * longest;
    out.emplace_back(first, first + length_of[r]);
  }
  return out;
}

}  // namespace

Timeline::Timeline() : origin_us_(trace::now_us()) { trace::install(this); }

Timeline::~Timeline() {
  if (trace::current() == this) trace::install(nullptr);
}

void Timeline::span(int track, std::string name, int64_t begin_us, int64_t end_us) {
  std::lock_guard<std::mutex> lock(mutex_);
  events_.push_back({track, std::move(name), begin_us, end_us});
}

std::string Timeline::events_json(int rank) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  char line[512];
  for (int track : {trace::kMainTrack, trace::kCommTrack, trace::kDataTrack}) {
    std::snprintf(line, sizeof line,
                  "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,\"tid\":%d,\"args\":{\"name\":\"%s\"}},\n",
                  rank, track, track_name(track));
    out += line;
  }
  std::snprintf(line, sizeof line, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%d,\"args\":{\"name\":\"rank %d\"}},\n",
                rank, rank);
  out += line;
  for (const Event& e : events_) {
    std::snprintf(line, sizeof line, "{\"ph\":\"X\",\"name\":\"%s\",\"pid\":%d,\"tid\":%d,\"ts\":%lld,\"dur\":%lld},\n",
                  escape(e.name).c_str(), rank, e.track, static_cast<long long>(e.begin_us - origin_us_),
                  static_cast<long long>(e.end_us - e.begin_us));
    out += line;
  }
  return out;
}

void Timeline::write(const std::string& path, comm::Communicator& comm) {
  if (trace::current() == this) trace::install(nullptr);
  const std::vector<std::string> parts = gather_strings(events_json(comm.rank()), comm);
  if (comm.rank() != 0) return;
  std::string body;
  for (const auto& p : parts) body += p;
  if (!body.empty()) body.erase(body.size() - 2);  // the last ",\n"
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp);
    out << "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n" << body << "\n]}\n";
    DPT_CHECK(out.good(), DataError, "cannot write the timeline " << temp);
  }
  DPT_CHECK(std::rename(temp.c_str(), path.c_str()) == 0, DataError, "cannot rename " << temp << " to " << path);
}

}  // namespace dpt::metrics
