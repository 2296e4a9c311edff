#include "checkpoint/inspect.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "checkpoint/layout.h"
#include "checkpoint/reader.h"
#include "common/error.h"

namespace dpt::checkpoint {
namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

// One line per tensor: name, dtype, shape, bytes, CRC, verdict.
std::string tensor_line(const TensorInfo& t, const std::string& verdict) {
  char line[512];
  std::snprintf(line, sizeof line, "  %-44s %-8s %-16s %12lld B  crc32 %08x  %s\n", t.name.c_str(),
                dtype_name(t.dtype).c_str(), shape_text(t.shape).c_str(), static_cast<long long>(t.bytes), t.crc32,
                verdict.c_str());
  return line;
}

std::string header(const Reader& reader) {
  const Manifest& m = reader.manifest();
  std::ostringstream out;
  out << "checkpoint " << reader.path() << "\n"
      << "  format " << m.format_version << ", dptrain " << m.dptrain_version << ", written by " << m.world_size
      << " rank(s) after step " << m.step << "\n"
      << "  " << m.tensors.size() << " tensors, " << m.total_bytes() << " bytes";
  if (const data::Json* type = m.extra.find("model_type")) out << "; model " << type->as_string();
  if (const data::Json* opt = m.extra.find("optimizer")) out << ", optimizer " << opt->as_string();
  out << "\n";
  return out.str();
}

}  // namespace

bool is_hdf5_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char signature[8] = {};
  in.read(signature, sizeof signature);
  return in.gcount() == 8 && std::string(signature, 8) == "\x89HDF\r\n\x1a\n";
}

Inspection inspect_file(const std::string& path, IoComm& comm) {
  Inspection out;
  std::unique_ptr<Reader> reader;
  try {
    reader = std::make_unique<Reader>(path, comm);
  } catch (const CheckpointError& e) {
    out.text = "checkpoint " + path + "\n  cannot be read: " + e.what() + "\n";
    out.problems.push_back(e.what());
    return out;
  }
  std::ostringstream text;
  text << header(*reader);
  std::ostringstream scalars;
  for (const auto& info : reader->manifest().tensors) {
    std::string verdict = "ok";
    try {
      at::Tensor t = info.owner >= 0 ? reader->read_on(info, 0) : reader->read(info);
      const bool counter = info.name.rfind("data/", 0) == 0 || info.name.rfind("trainer/", 0) == 0;
      if (counter && t.defined() && t.dim() == 0 && t.scalar_type() == at::kLong) {
        scalars << "  " << info.name << " = " << t.item<int64_t>() << "\n";
      }
    } catch (const CheckpointError& e) {
      verdict = "DAMAGED";
      out.problems.push_back(e.what());
    }
    text << tensor_line(info, verdict);
  }
  text << scalars.str();
  text << (out.problems.empty() ? "  verified: every tensor matches its checksum\n"
                                : "  " + std::to_string(out.problems.size()) + " problem(s): the checkpoint is damaged\n");
  out.text = text.str();
  return out;
}

}  // namespace dpt::checkpoint
