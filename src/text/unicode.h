#pragma once
// The Unicode character properties that BERT's basic tokenization uses, from tables generated
// out of Python's unicodedata (src/text/gen_unicode_tables.py; Unicode 14.0), so this
// tokenizer and BERT's Python reference agree character by character.
#include <cstdint>
#include <string_view>
#include <vector>

namespace dpt::text {

// Bits of char_flags().
enum CharFlag : uint8_t {
  kWhitespace = 1,      // space, \t, \n, \r, category Zs, U+2028/9 (Python isspace): separate words
  kControl = 2,         // category Cc or Cf other than \t \n \r: removed from the text
  kPunctuation = 4,     // ASCII symbols !../:..@[..`{..~ or any category P*: a word of its own
  kCjk = 8,             // a CJK ideograph (BERT's ranges): a word of its own
  kCased = 16,          // Unicode Cased (for the final-sigma rule of lower-casing)
  kCaseIgnorable = 32,  // Unicode Case_Ignorable (idem)
  kHasLower = 64,       // lower-casing changes it
  kHasStrip = 128,      // accent stripping changes it (NFD without Mn differs)
};

namespace detail {
extern const uint8_t kAsciiFlags[128];
uint8_t non_ascii_flags(uint32_t cp);
}  // namespace detail

// The CharFlag bits of code point `cp`.
inline uint8_t char_flags(uint32_t cp) {
  return cp < 128 ? detail::kAsciiFlags[cp] : detail::non_ascii_flags(cp);
}

// Appends Python's str.lower() of the code points `cps` (one word: the final-sigma rule looks
// at the neighbours of a capital sigma inside it) to *out.
void append_lower(std::basic_string_view<uint32_t> cps, std::vector<uint32_t>* out);

// Appends the NFD decomposition of `cp` without its nonspacing marks (category Mn) to *out:
// "é" -> "e", "ﬁ" stays, a lone combining accent -> nothing, a Hangul syllable -> its jamo.
void append_stripped(uint32_t cp, std::vector<uint32_t>* out);

// The Unicode version of the tables ("14.0.0").
const char* unicode_version();

}  // namespace dpt::text
