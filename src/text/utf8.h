#pragma once
// Strict UTF-8 (RFC 3629): decoding with the byte offset of the first invalid sequence, and
// encoding. Strict means what Python's decoder accepts: no overlong forms, no surrogates
// (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequences.
#include <cstdint>
#include <string>
#include <string_view>

namespace dpt::text {

// Decodes the code point at s[*pos] into *cp and advances *pos past it. Returns false, with
// *pos unchanged, when the bytes at *pos are not valid UTF-8.
inline bool decode_utf8(std::string_view s, size_t* pos, uint32_t* cp) {
  const size_t i = *pos;
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    *cp = b0;
    *pos = i + 1;
    return true;
  }
  int extra = 0;
  uint32_t min = 0, value = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    extra = 1, min = 0x80, value = b0 & 0x1Fu;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    extra = 2, min = 0x800, value = b0 & 0x0Fu;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    extra = 3, min = 0x10000, value = b0 & 0x07u;
  } else {
    return false;  // a continuation byte, an overlong lead (C0, C1) or F5..FF
  }
  if (s.size() - i <= static_cast<size_t>(extra)) return false;
  for (int k = 1; k <= extra; ++k) {
    const auto b = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
    if ((b & 0xC0u) != 0x80u) return false;
    value = (value << 6) | (b & 0x3Fu);
  }
  if (value < min || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return false;
  *cp = value;
  *pos = i + 1 + static_cast<size_t>(extra);
  return true;
}

// Appends the UTF-8 encoding of the code point `cp` (<= U+10FFFF, not a surrogate).
inline void append_utf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// True for the first byte of an encoded code point (not a continuation byte 10xxxxxx).
inline bool is_utf8_lead(char byte) { return (static_cast<unsigned char>(byte) & 0xC0u) != 0x80u; }

// Offset of the first invalid sequence in `s`, or std::string_view::npos when all is valid.
size_t find_invalid_utf8(std::string_view s);

// Throws DataError "<source>: invalid UTF-8 at byte offset <base_offset + pos> (bytes ...)",
// with what to do about it. `pos` is the offset of the bad sequence inside `s`.
[[noreturn]] void throw_invalid_utf8(std::string_view s, size_t pos, const std::string& source,
                                     int64_t base_offset);

// Throws that error for the first invalid sequence of `s`, if any.
void check_utf8(std::string_view s, const std::string& source, int64_t base_offset = 0);

}  // namespace dpt::text
