#include "text/utf8.h"

#include <algorithm>
#include <cstdio>

#include "common/error.h"

namespace dpt::text {

size_t find_invalid_utf8(std::string_view s) {
  size_t pos = 0;
  uint32_t cp = 0;
  while (pos < s.size()) {
    if (!decode_utf8(s, &pos, &cp)) return pos;
  }
  return std::string_view::npos;
}

void throw_invalid_utf8(std::string_view s, size_t pos, const std::string& source, int64_t base_offset) {
  std::string bytes;
  for (size_t i = pos; i < std::min(s.size(), pos + 4); ++i) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "%s0x%02X", i == pos ? "" : " ", static_cast<unsigned>(static_cast<unsigned char>(s[i])));
    bytes += hex;
  }
  DPT_THROW(DataError, source << ": invalid UTF-8 at byte offset " << base_offset + static_cast<int64_t>(pos)
                              << " (bytes " << bytes << "); the text must be UTF-8: convert it, e.g. with "
                              << "'iconv -f latin1 -t utf-8', or remove the bad bytes");
}

void check_utf8(std::string_view s, const std::string& source, int64_t base_offset) {
  const size_t bad = find_invalid_utf8(s);
  if (bad != std::string_view::npos) throw_invalid_utf8(s, bad, source, base_offset);
}

}  // namespace dpt::text
