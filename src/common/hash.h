#pragma once
// Small, stable, dependency-free hashes. Not cryptographic.
// - FNV-1a, 64 bit: for telling files and texts apart (configurations, vocabularies, the
//   train/test split of text documents).
// - splitmix64: for deriving random streams from seeds (the sample order, MLM masking, each
//   rank's generator).
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

// splitmix64's finalizer: a bijection of 64-bit words that spreads every input bit over all
// output bits.
inline constexpr uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

inline constexpr uint64_t kGoldenGamma = 0x9E3779B97F4A7C15ULL;  // splitmix64's increment

// One splitmix64 step from state x: the output for the state x + kGoldenGamma.
inline constexpr uint64_t splitmix64(uint64_t x) { return mix64(x + kGoldenGamma); }

}  // namespace dpt
