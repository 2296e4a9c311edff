#include "metrics/metrics.h"

#include <ATen/ATen.h>

#include <cstdio>
#include <fstream>

#include "comm/collective.h"
#include "common/error.h"

namespace dpt::metrics {

std::vector<double> reduce(const std::vector<double>& values, comm::Communicator& comm, comm::ReduceOp op) {
  at::Tensor t = at::tensor(values, at::kDouble);
  const comm::CollectiveLabel label("metrics");
  comm.allreduce(t, op);
  const double* data = t.data_ptr<double>();
  return {data, data + values.size()};
}

JsonlWriter::JsonlWriter(const std::string& path) : file_(std::fopen(path.c_str(), "a")), path_(path) {
  DPT_CHECK(file_ != nullptr, ConfigError, "cannot open " << path << " for appending; check run.dir");
}

JsonlWriter::~JsonlWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void JsonlWriter::write(const data::Json& object) {
  const std::string line = object.dump_line();
  DPT_CHECK(std::fputs(line.c_str(), file_) >= 0 && std::fflush(file_) == 0, DataError,
            "cannot write to " << path_ << " (disk full?)");
}

void write_json_file(const std::string& path, const data::Json& object) {
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp);
    out << object.dump();
    DPT_CHECK(out.good(), DataError, "cannot write " << temp);
  }
  DPT_CHECK(std::rename(temp.c_str(), path.c_str()) == 0, DataError, "cannot rename " << temp << " to " << path);
}

}  // namespace dpt::metrics
