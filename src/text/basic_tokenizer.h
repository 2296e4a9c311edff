#pragma once
// BERT's basic tokenization (BasicTokenizer of google-research/bert tokenization.py), the step
// before WordPiece: text -> words.
//
// Note [Basic tokenization]
// In BERT's order: (1) cleanup: U+0000, U+FFFD and control characters (Cc, Cf except \t \n \r)
// are removed, whitespace separates words; (2) every CJK ideograph becomes a word of its own;
// (3) each whitespace-separated word is lower-cased (Python's str.lower(), final sigma
// included) and its accents stripped (NFD, nonspacing marks removed), when enabled; (4) every
// punctuation character (Unicode P*, and the ASCII symbols) becomes a word of its own.
// Character properties come from Python's unicodedata (text/unicode.h), so the words agree
// with the Python reference character for character (tests/unit/text/bert_reference.py).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dpt::text {

struct BasicOptions {
  bool lower_case = true;     // BERT "uncased"
  bool strip_accents = true;  // normally = lower_case (BERT strips accents only when lower-casing)
};

// The words of one text, in one buffer: word i is bytes[begin[i], begin[i + 1]).
struct Words {
  std::string bytes;            // UTF-8
  std::vector<uint32_t> begin;  // size() + 1 offsets
  size_t size() const { return begin.empty() ? 0 : begin.size() - 1; }
  std::string_view operator[](size_t i) const { return std::string_view(bytes).substr(begin[i], begin[i + 1] - begin[i]); }
  void clear() {
    bytes.clear();
    begin.assign(1, 0);
  }
};

class BasicTokenizer {
 public:
  explicit BasicTokenizer(BasicOptions options) : options_(options) {}

  // Replaces *out with the words of `text` (Note [Basic tokenization]). Invalid UTF-8 throws
  // DataError naming `source` and the byte offset `base_offset` + position in `text`.
  void split(std::string_view text, Words* out, const std::string& source = "text", int64_t base_offset = 0);

  const BasicOptions& options() const { return options_; }

 private:
  void end_word(Words* out);
  void end_ascii_word(Words* out);
  void emit(const uint32_t* first, const uint32_t* last, Words* out);

  BasicOptions options_;
  // Scratch, reused between calls: the current whitespace-separated word, then normalized.
  std::vector<uint32_t> raw_, lowered_, normalized_;
  bool raw_ascii_ = true;  // raw_ holds ASCII characters only
};

}  // namespace dpt::text
