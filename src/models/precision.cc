#include "models/precision.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "common/error.h"

// LibTorch 2.4 replaced the per-device autocast functions (set_enabled, set_cpu_enabled,
// set_autocast_gpu_dtype, ...) with ones taking the device type, and deprecated the old ones;
// from 2.5 on we use the new ones (LibTorch 1.13, Debian's, has only the old).
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 5)
#define DPT_AUTOCAST_BY_DEVICE_TYPE 1
#endif

namespace dpt::models {
namespace {

#ifdef DPT_AUTOCAST_BY_DEVICE_TYPE
bool is_enabled(c10::DeviceType d) { return at::autocast::is_autocast_enabled(d); }
at::ScalarType get_dtype(c10::DeviceType d) { return at::autocast::get_autocast_dtype(d); }
void set_state(c10::DeviceType d, bool enabled, at::ScalarType dtype) {
  at::autocast::set_autocast_enabled(d, enabled);
  at::autocast::set_autocast_dtype(d, dtype);
}
#else
bool is_enabled(c10::DeviceType d) {
  return d == c10::DeviceType::CUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
}
at::ScalarType get_dtype(c10::DeviceType d) {
  return d == c10::DeviceType::CUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
}
void set_state(c10::DeviceType d, bool enabled, at::ScalarType dtype) {
  if (d == c10::DeviceType::CUDA) {
    at::autocast::set_enabled(enabled);
    at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_cpu_enabled(enabled);
    at::autocast::set_autocast_cpu_dtype(dtype);
  }
}
#endif

}  // namespace

at::ScalarType autocast_dtype_for(const std::string& precision) {
  if (precision == "fp32") return at::kFloat;
  if (precision == "bf16") return at::kBFloat16;
  DPT_THROW(ConfigError, "train.precision='" << precision << "' is not a precision; use fp32 or bf16");
}

AutocastGuard::AutocastGuard(c10::DeviceType device, at::ScalarType dtype) {
  if (dtype == at::kFloat || dtype == at::kDouble) return;
  DPT_CHECK(device == c10::DeviceType::CUDA || device == c10::DeviceType::CPU, ConfigError,
            "train.precision: autocast runs on CPU or CUDA tensors, not " << device);
  device_ = device;
  previous_enabled_ = is_enabled(device);
  previous_dtype_ = get_dtype(device);
  set_state(device, true, dtype);
  at::autocast::increment_nesting();
  active_ = true;
}

AutocastGuard::~AutocastGuard() {
  if (!active_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_state(device_, previous_enabled_, previous_dtype_);
}

}  // namespace dpt::models
