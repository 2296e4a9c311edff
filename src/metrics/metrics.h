#pragma once
// Metrics: cross-rank reductions of scalars and the run directory's JSON files.
#include <string>
#include <vector>

#include "comm/communicator.h"
#include "data/json.h"

namespace dpt::metrics {

// Collective: element-wise mean (or sum, max) of `values` over all ranks, in float64.
std::vector<double> reduce(const std::vector<double>& values, comm::Communicator& comm, comm::ReduceOp op);

// Appends one JSON object per line to a file (metrics.jsonl). Lines are flushed as written,
// so a killed run keeps every line it logged.
class JsonlWriter {
 public:
  // Opens `path` for appending (a resumed run continues the file). Throws ConfigError when
  // the file cannot be opened.
  explicit JsonlWriter(const std::string& path);
  ~JsonlWriter();
  JsonlWriter(const JsonlWriter&) = delete;
  JsonlWriter& operator=(const JsonlWriter&) = delete;
  void write(const data::Json& object);

 private:
  std::FILE* file_;
  std::string path_;
};

// Writes `object` to `path` atomically (temp file + rename), pretty-printed.
void write_json_file(const std::string& path, const data::Json& object);

}  // namespace dpt::metrics
