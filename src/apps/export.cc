// dptrain export --checkpoint F --out model.pt: the checkpoint's model for inference, as a
// LibTorch archive (torch::save of the module). C++ loads it with torch::load into the same
// model; Python with torch.jit.load, whose state_dict() has the named_parameters() names
// (docs/checkpoint.md, "Using an exported model"). --quantize int8 writes the int8 export of
// apps/int8_export.h instead, which 'dptrain eval --model' evaluates (docs/compression.md).
#include <torch/serialize.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>

#include "apps/checkpoint_model.h"
#include "apps/command.h"
#include "apps/int8_export.h"
#include "common/error.h"
#include "runtime/mpi_check.h"

namespace po = boost::program_options;

namespace dpt::apps {
namespace {

int run(const config::ParsedCommand& parsed) {
  DPT_CHECK(parsed.local.count("checkpoint") && parsed.local.count("out"), ConfigError,
            "usage: dptrain export --checkpoint <file.h5> --out <model.pt> [--quantize int8]");
  const std::string path = parsed.local["checkpoint"].as<std::string>();
  const std::string out = parsed.local["out"].as<std::string>();
  const std::string quantize = parsed.local["quantize"].as<std::string>();
  DPT_CHECK(quantize == "none" || quantize == "int8", ConfigError,
            "--quantize " << quantize << " is not a quantization; use none or int8");
  CheckpointModel loaded = load_checkpoint_model(path);
  int rank = 0;
  DPT_CHECK_MPI(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  if (rank != 0) return kExitOk;
  loaded.model->eval();
  const std::string tmp = out + ".tmp";
  Int8Report report;
  if (quantize == "int8") {
    report = write_int8_export(loaded, tmp);
  } else {
    try {
      torch::save(std::static_pointer_cast<torch::nn::Module>(loaded.model), tmp);
    } catch (const c10::Error& e) {
      DPT_THROW(CheckpointError, "cannot write " << tmp << ": " << e.what_without_backtrace());
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, out, ec);
  DPT_CHECK(!ec, CheckpointError, "cannot rename " << tmp << " to " << out << ": " << ec.message());
  int64_t count = 0;
  for (const auto& p : loaded.model->parameters()) count += p.numel();
  std::printf("exported %s model (%lld parameters, step %lld) from %s to %s\n", loaded.info.model_type.c_str(),
              static_cast<long long>(count), static_cast<long long>(loaded.manifest.step), path.c_str(), out.c_str());
  if (quantize == "int8") {
    std::printf("int8: %lld weights quantized per channel (largest error %.3g), %lld values kept in float32; "
                "%lld bytes\n", static_cast<long long>(report.quantized), report.max_error,
                static_cast<long long>(report.kept), static_cast<long long>(std::filesystem::file_size(out)));
  }
  return kExitOk;
}

config::CommandSpec spec() {
  config::CommandSpec s;
  s.name = "export";
  s.summary = "write a checkpoint's model for inference (LibTorch archive: torch::load / torch.jit.load)";
  s.local.add_options()
      ("checkpoint", po::value<std::string>(), "checkpoint file (step_N.h5)")
      ("out", po::value<std::string>(), "output file, e.g. model.pt")
      ("quantize", po::value<std::string>()->default_value("none"),
       "none, or int8: per-channel symmetric int8 weights with float32 scales (evaluate with 'dptrain eval --model')");
  return s;
}

}  // namespace

Command export_command() { return {spec, run}; }

}  // namespace dpt::apps
