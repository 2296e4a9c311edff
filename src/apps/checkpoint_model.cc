#include "apps/checkpoint_model.h"

#include <sstream>

#include "checkpoint/io_comm.h"
#include "checkpoint/reader.h"
#include "checkpoint/resume.h"
#include "common/error.h"
#include "common/log.h"
#include "config/schema.h"

namespace dpt::apps {

void apply_ini_text(const std::string& ini, const std::string& origin, config::Config* config) {
  std::istringstream in(ini);
  std::string section;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.front() == '[') {
      section = line.substr(1, line.find(']') - 1);
      continue;
    }
    const size_t eq = line.find(" = ");
    if (eq == std::string::npos) continue;
    const std::string name = section + "." + line.substr(0, eq);
    if (config::find_option(name) == nullptr) {
      DPT_LOG(kWarn) << origin << ": option " << name << " is unknown to this dptrain; ignored";
      continue;
    }
    config->set(name, line.substr(eq + 3), origin);
  }
}

CheckpointModel load_checkpoint_model(const std::string& path) {
  checkpoint::IoComm comm(MPI_COMM_WORLD);
  checkpoint::Reader reader(path, comm);
  CheckpointModel out;
  out.manifest = reader.manifest();
  out.info = train::model_info(out.manifest, "checkpoint " + path);
  apply_ini_text(out.manifest.config_text, "checkpoint " + path, &out.config);
  out.model = models::make_model(out.config, out.info.input);
  train::check_compatible(out.manifest, *out.model, out.info.optimizer);
  checkpoint::Loaded loaded;
  loaded.path = path;
  loaded.manifest = out.manifest;
  for (const auto& info : out.manifest.tensors) {
    if (info.owner >= 0 || info.name.rfind("optimizer/", 0) == 0) continue;
    loaded.tensors.push_back({info.name, reader.read(info)});
  }
  train::restore_state(loaded, *out.model, {});
  return out;
}

}  // namespace dpt::apps
