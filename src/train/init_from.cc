#include "train/init_from.h"

#include <ATen/ATen.h>

#include <filesystem>
#include <map>
#include <sstream>

#include "checkpoint/io_comm.h"
#include "checkpoint/layout.h"
#include "checkpoint/reader.h"
#include "checkpoint/resume.h"
#include "common/error.h"

namespace dpt::train {
namespace {

std::string shape_text(const std::vector<int64_t>& shape, at::ScalarType dtype) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "] " + checkpoint::dtype_name(dtype);
}

// "bert.encoder: 32, classifier: 2" for names grouped by their first two components.
std::string grouped(const std::vector<std::string>& names) {
  std::map<std::string, int> groups;
  for (const auto& name : names) {
    const size_t first = name.find('.');
    const size_t second = first == std::string::npos ? first : name.find('.', first + 1);
    ++groups[name.substr(0, second)];
  }
  std::string text;
  for (const auto& [group, count] : groups) text += (text.empty() ? "" : ", ") + group + ": " + std::to_string(count);
  return text;
}

}  // namespace

InitReport init_from_checkpoint(const std::string& spec, models::Model& model) {
  DPT_CHECK(std::filesystem::exists(spec), ConfigError,
            "train.init_from=" << spec << ": no such file or directory; pass a checkpoint file or a run directory");
  const std::vector<std::string> candidates = checkpoint::resume_candidates(spec, "");
  DPT_CHECK(!candidates.empty(), ConfigError,
            "train.init_from=" << spec << ": no committed checkpoint there; point it at a checkpoint file or the "
            "run directory of a finished run");
  const std::string& path = candidates.front();
  checkpoint::IoComm comm(MPI_COMM_WORLD);
  checkpoint::Reader reader(path, comm);
  std::map<std::string, const checkpoint::TensorInfo*> stored;
  for (const auto& info : reader.manifest().tensors) {
    for (const char* prefix : {"model/", "buffers/"}) {
      const std::string p = prefix;
      if (info.owner < 0 && info.name.rfind(p, 0) == 0) stored.emplace(info.name.substr(p.size()), &info);
    }
  }
  InitReport report;
  report.vocab = recorded_vocab(reader.manifest());
  std::map<std::string, at::Tensor> targets;
  for (const auto& item : model.named_parameters()) targets.emplace(item.key(), item.value());
  for (const auto& item : model.named_buffers()) targets.emplace(item.key(), item.value());
  at::NoGradGuard no_grad;
  // Collective reads: every rank walks the same names in the same (sorted) order.
  for (const auto& [name, tensor] : targets) {
    auto it = stored.find(name);
    if (it == stored.end()) {
      report.fresh.push_back(name);
      continue;
    }
    const checkpoint::TensorInfo& info = *it->second;
    const std::vector<int64_t> shape(tensor.sizes().begin(), tensor.sizes().end());
    DPT_CHECK(info.shape == shape && info.dtype == tensor.scalar_type(), ConfigError,
              "train.init_from=" << path << ": " << name << " is " << shape_text(info.shape, info.dtype)
              << " in the checkpoint but " << shape_text(shape, tensor.scalar_type())
              << " in the model built from this config; use the [model] sizes (and vocabulary) the checkpoint "
                 "was trained with");
    tensor.copy_(reader.read(info));
    report.loaded.push_back(name);
  }
  for (const auto& entry : stored) {
    if (targets.count(entry.first) == 0) report.unused.push_back(entry.first);
  }
  DPT_CHECK(!report.loaded.empty(), ConfigError,
            "train.init_from=" << path << ": no tensor of the checkpoint has a name of this model (it holds e.g. "
            << (stored.empty() ? std::string("nothing") : stored.begin()->first) << "); is it another model type?");
  return report;
}

std::string describe(const InitReport& report) {
  std::ostringstream out;
  out << "loaded " << report.loaded.size() << " tensors (" << grouped(report.loaded) << ")";
  if (report.fresh.size() > 8) {
    out << "; new, initialized here: " << report.fresh.size() << " (" << grouped(report.fresh) << ")";
  } else if (!report.fresh.empty()) {
    out << "; new, initialized here:";
    for (const auto& name : report.fresh) out << " " << name;
  }
  if (!report.unused.empty()) {
    out << "; not used from the checkpoint: " << report.unused.size() << " (" << grouped(report.unused) << ")";
  }
  return out.str();
}

}  // namespace dpt::train
