#pragma once
// FNV-1a, 64 bit: a small, stable, dependency-free hash for telling files and texts apart
// (configurations, vocabularies, the train/test split of text documents). Not cryptographic.
#include <cstdint>
#include <string_view>

namespace dpt {

inline constexpr uint64_t kFnv1a64Seed = 1469598103934665603ULL;

// Continues the hash `h` over `bytes` (start with kFnv1a64Seed), so a long input can be hashed
// in pieces with the same result as in one call.
inline uint64_t fnv1a64(std::string_view bytes, uint64_t h = kFnv1a64Seed) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace dpt
