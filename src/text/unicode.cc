#include "text/unicode.h"

#include <algorithm>
#include <array>

namespace dpt::text {
namespace {

struct ClassRange {
  uint32_t first, last;
  uint8_t flags;
};
struct LowerEntry {
  uint32_t cp, lower, second;  // second: 0 when the lower case is one code point
};
struct StripEntry {
  uint32_t cp, offset, length;  // kStripPool[offset, offset + length)
};

}  // namespace

#include "text/unicode_tables.inc"

namespace {

constexpr uint32_t kCapitalSigma = 0x3A3, kSmallSigma = 0x3C3, kFinalSigma = 0x3C2;
constexpr uint32_t kHangulFirst = 0xAC00, kHangulCount = 11172;

template <typename Entry>
const Entry* find_entry(const Entry* begin, const Entry* end, uint32_t cp) {
  const Entry* it = std::lower_bound(begin, end, cp, [](const Entry& e, uint32_t c) { return e.cp < c; });
  return it != end && it->cp == cp ? it : nullptr;
}

// Flags of the Basic Multilingual Plane, expanded from kClassRanges once; the rarer planes
// are looked up in the ranges.
const std::array<uint8_t, 0x10000>& bmp_flags() {
  static const auto table = [] {
    std::array<uint8_t, 0x10000> t{};
    for (const ClassRange& r : kClassRanges) {
      for (uint32_t cp = r.first; cp <= r.last && cp < 0x10000; ++cp) t[cp] = r.flags;
    }
    return t;
  }();
  return table;
}

// Python's final-sigma rule (Objects/unicodeobject.c, handle_capital_sigma): a capital sigma
// preceded by a cased letter and not followed by one, case-ignorable characters skipped.
bool is_final_sigma(std::basic_string_view<uint32_t> cps, size_t i) {
  size_t j = i;
  while (j > 0 && (char_flags(cps[j - 1]) & kCaseIgnorable)) --j;
  if (j == 0 || !(char_flags(cps[j - 1]) & kCased)) return false;
  j = i + 1;
  while (j < cps.size() && (char_flags(cps[j]) & kCaseIgnorable)) ++j;
  return j == cps.size() || !(char_flags(cps[j]) & kCased);
}

}  // namespace

namespace detail {

uint8_t non_ascii_flags(uint32_t cp) {
  if (cp < 0x10000) return bmp_flags()[cp];
  const auto* end = std::end(kClassRanges);
  const auto* it = std::upper_bound(std::begin(kClassRanges), end, cp,
                                    [](uint32_t c, const ClassRange& r) { return c < r.first; });
  if (it == std::begin(kClassRanges)) return 0;
  --it;
  return cp <= it->last ? it->flags : 0;
}

}  // namespace detail

void append_lower(std::basic_string_view<uint32_t> cps, std::vector<uint32_t>* out) {
  for (size_t i = 0; i < cps.size(); ++i) {
    const uint32_t cp = cps[i];
    if (!(char_flags(cp) & kHasLower)) {
      out->push_back(cp);
    } else if (cp < 128) {
      out->push_back(cp + ('a' - 'A'));
    } else if (cp == kCapitalSigma) {
      out->push_back(is_final_sigma(cps, i) ? kFinalSigma : kSmallSigma);
    } else {
      const LowerEntry* e = find_entry(std::begin(kLower), std::end(kLower), cp);
      out->push_back(e->lower);
      if (e->second != 0) out->push_back(e->second);
    }
  }
}

void append_stripped(uint32_t cp, std::vector<uint32_t>* out) {
  if (cp - kHangulFirst < kHangulCount) {  // Unicode 14, section 3.12: the syllable's L V (T) jamo
    const uint32_t s = cp - kHangulFirst;
    out->push_back(0x1100 + s / 588);
    out->push_back(0x1161 + (s % 588) / 28);
    if (s % 28 != 0) out->push_back(0x11A7 + s % 28);
    return;
  }
  if (!(char_flags(cp) & kHasStrip)) {
    out->push_back(cp);
    return;
  }
  const StripEntry* e = find_entry(std::begin(kStrip), std::end(kStrip), cp);
  out->insert(out->end(), kStripPool + e->offset, kStripPool + e->offset + e->length);
}

const char* unicode_version() { return kUnicodeVersion; }

}  // namespace dpt::text
