#include "apps/int8_export.h"

#include <ATen/ATen.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include "common/error.h"
#include "models/quantize.h"

namespace dpt::apps {
namespace {

constexpr const char* kFormat = "dptrain-int8-v1";

std::string read_string(torch::serialize::InputArchive& archive, const char* key, const std::string& path) {
  c10::IValue value;
  DPT_CHECK(archive.try_read(key, value) && value.isString(), CheckpointError,
            path << " is not an int8 export (no '" << key << "' entry); make one with "
                    "'dptrain export --quantize int8', or evaluate a checkpoint with --checkpoint");
  return value.toStringRef();
}

}  // namespace

Int8Report write_int8_export(const CheckpointModel& model, const std::string& path) {
  torch::serialize::OutputArchive archive;
  archive.write("format", c10::IValue(std::string(kFormat)));
  archive.write("config", c10::IValue(model.manifest.config_text));
  archive.write("extra", c10::IValue(model.manifest.extra.dump()));
  Int8Report report;
  for (const auto& item : model.model->named_parameters()) {
    const at::Tensor w = item.value().detach().to(at::kCPU);
    if (models::is_quantizable(w)) {
      const models::Int8Weight q = models::quantize_int8(w);
      archive.write("int8/" + item.key(), q.values);
      archive.write("scale/" + item.key(), q.scales);
      report.quantized += w.numel();
      report.max_error = std::max(report.max_error, (models::dequantize(q) - w).abs().max().item<double>());
    } else {
      archive.write("float/" + item.key(), w);
      report.kept += w.numel();
    }
  }
  for (const auto& item : model.model->named_buffers()) {
    archive.write("float/" + item.key(), item.value().detach().to(at::kCPU), /*is_buffer=*/true);
    report.kept += item.value().numel();
  }
  try {
    archive.save_to(path);
  } catch (const c10::Error& e) {
    DPT_THROW(CheckpointError, "cannot write " << path << ": " << e.what_without_backtrace());
  }
  return report;
}

CheckpointModel load_int8_export(const std::string& path) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    DPT_THROW(CheckpointError, "cannot read " << path << " as an int8 export: " << e.what_without_backtrace()
                                              << "; make one with 'dptrain export --quantize int8'");
  }
  DPT_CHECK(read_string(archive, "format", path) == kFormat, CheckpointError,
            path << " has export format '" << read_string(archive, "format", path) << "', this dptrain reads "
                 << kFormat);
  CheckpointModel out;
  out.manifest.config_text = read_string(archive, "config", path);
  out.manifest.extra = data::parse_json(read_string(archive, "extra", path), path + " extra");
  out.info = train::model_info(out.manifest, "int8 export " + path);
  apply_ini_text(out.manifest.config_text, "int8 export " + path, &out.config);
  out.model = models::make_model(out.config, out.info.input);
  at::NoGradGuard no_grad;
  auto fill = [&](const std::string& name, at::Tensor& target) {
    at::Tensor values, scales;
    if (archive.try_read("int8/" + name, values)) {
      DPT_CHECK(archive.try_read("scale/" + name, scales), CheckpointError, path << " lacks scale/" << name);
      values = models::dequantize({values, scales});
    } else {
      DPT_CHECK(archive.try_read("float/" + name, values), CheckpointError,
                path << " lacks the weights of " << name << "; it was exported from another model");
    }
    DPT_CHECK(values.sizes() == target.sizes(), CheckpointError,
              path << ": " << name << " has shape " << values.sizes() << ", the model built from its config "
                   << target.sizes());
    target.copy_(values);
  };
  for (auto& item : out.model->named_parameters()) fill(item.key(), item.value());
  for (auto& item : out.model->named_buffers()) fill(item.key(), item.value());
  return out;
}

}  // namespace dpt::apps
