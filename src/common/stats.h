#pragma once
// Small statistics for benchmarks: this machine is noisy, so they report medians.
#include <algorithm>
#include <vector>

namespace dpt {

// Median of `values` (mean of the middle two for an even count); 0 for an empty vector.
inline double median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  const size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<long>(mid), values.end());
  const double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  return (upper + *std::max_element(values.begin(), values.begin() + static_cast<long>(mid))) / 2.0;
}

}  // namespace dpt
