#pragma once
// train.precision: the arithmetic of the training forward pass.
//
// Note [Mixed precision]
// bf16 means autocast, as torch.autocast(device_type, dtype=torch.bfloat16) in PyTorch: while an
// AutocastGuard is alive on a thread, matrix products and convolutions on tensors of its device
// type run in bfloat16 and precision-sensitive ops (normalizations, softmax, losses) in float32,
// by autocast's own op lists. Parameters, gradients and optimizer state stay float32, and
// backward follows the dtypes of the forward pass. No loss scaling: bfloat16 has float32's
// exponent range. Autocast is thread-local, so the guard covers only the calling thread's
// forward pass (and the loss) — exactly where train_step places it.
#include <ATen/core/Tensor.h>
#include <c10/core/DeviceType.h>

#include <string>

namespace dpt::models {

// "fp32" -> kFloat (no autocast), "bf16" -> kBFloat16; throws ConfigError otherwise.
at::ScalarType autocast_dtype_for(const std::string& precision);

// Turns autocast to `dtype` on for `device` on this thread, for the guard's lifetime, and
// restores the previous state after (nesting like torch.autocast; the cache of casted weights is
// cleared when the outermost guard ends, so an optimizer step never meets stale casts).
// kFloat/kDouble: does nothing.
class AutocastGuard {
 public:
  AutocastGuard(c10::DeviceType device, at::ScalarType dtype);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool active_ = false;
  c10::DeviceType device_ = c10::DeviceType::CPU;
  bool previous_enabled_ = false;
  at::ScalarType previous_dtype_ = at::kFloat;
};

}  // namespace dpt::models
