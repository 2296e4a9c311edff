#include "ddp/buckets.h"

namespace dpt::ddp {

std::vector<std::vector<size_t>> assign_buckets(const std::vector<at::Tensor>& params,
                                                int64_t first_cap_bytes, int64_t cap_bytes) {
  std::vector<std::vector<size_t>> buckets;
  int64_t filled = 0;
  for (size_t k = params.size(); k-- > 0;) {  // Note [Bucket order]: reverse registration order
    const at::Tensor& p = params[k];
    const int64_t bytes = p.numel() * static_cast<int64_t>(p.element_size());
    const int64_t current_cap = buckets.size() == 1 ? first_cap_bytes : cap_bytes;
    const bool fits = !buckets.empty() && filled + bytes <= current_cap &&
                      params[buckets.back().front()].scalar_type() == p.scalar_type();
    if (!fits) {
      buckets.emplace_back();
      filled = 0;
    }
    buckets.back().push_back(k);
    filled += bytes;
  }
  return buckets;
}

}  // namespace dpt::ddp
