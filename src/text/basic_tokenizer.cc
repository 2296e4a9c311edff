#include "text/basic_tokenizer.h"

#include "text/unicode.h"
#include "text/utf8.h"

namespace dpt::text {

void BasicTokenizer::split(std::string_view text, Words* out, const std::string& source, int64_t base_offset) {
  out->clear();
  raw_.clear();
  raw_ascii_ = true;
  size_t pos = 0;
  uint32_t cp = 0;
  while (pos < text.size()) {
    const auto byte = static_cast<unsigned char>(text[pos]);
    if (byte < 0x80) {  // ASCII: most of the text, decoded in place
      cp = byte;
      ++pos;
    } else if (!decode_utf8(text, &pos, &cp)) {
      throw_invalid_utf8(text, pos, source, base_offset);
    }
    const uint8_t flags = char_flags(cp);
    if (flags & kControl || cp == 0 || cp == 0xFFFD) continue;
    if (flags & kWhitespace) {
      end_word(out);
    } else if (flags & kCjk) {
      end_word(out);
      raw_ascii_ = false;
      raw_.push_back(cp);
      end_word(out);
    } else {
      raw_ascii_ = raw_ascii_ && cp < 0x80;
      raw_.push_back(cp);
    }
  }
  end_word(out);
}

// Normalizes the whitespace-separated word in raw_ and emits it, split at punctuation.
void BasicTokenizer::end_word(Words* out) {
  if (raw_.empty()) return;
  if (raw_ascii_) {
    end_ascii_word(out);
    return;
  }
  const std::vector<uint32_t>* chars = &raw_;
  if (options_.lower_case) {
    lowered_.clear();
    append_lower({raw_.data(), raw_.size()}, &lowered_);
    chars = &lowered_;
  }
  if (options_.strip_accents) {
    normalized_.clear();
    for (uint32_t c : *chars) append_stripped(c, &normalized_);
    chars = &normalized_;
  }
  const uint32_t* word = chars->data();
  const uint32_t* end = word + chars->size();
  for (const uint32_t* c = word; c != end; ++c) {
    if (char_flags(*c) & kPunctuation) {
      emit(word, c, out);
      emit(c, c + 1, out);
      word = c + 1;
    }
  }
  emit(word, end, out);
  raw_.clear();
  raw_ascii_ = true;
}

// end_word() for a word of ASCII characters, the common case: lower-casing is a table lookup,
// accent stripping changes nothing, and the UTF-8 is the characters themselves.
void BasicTokenizer::end_ascii_word(Words* out) {
  const auto close = [out] {
    if (out->bytes.size() > out->begin.back()) out->begin.push_back(static_cast<uint32_t>(out->bytes.size()));
  };
  for (uint32_t c : raw_) {
    const uint8_t flags = char_flags(c);
    if (flags & kPunctuation) {
      close();
      out->bytes.push_back(static_cast<char>(c));
      close();
    } else {
      out->bytes.push_back(static_cast<char>(options_.lower_case && (flags & kHasLower) ? c + ('a' - 'A') : c));
    }
  }
  close();
  raw_.clear();
}

void BasicTokenizer::emit(const uint32_t* first, const uint32_t* last, Words* out) {
  if (first == last) return;
  for (const uint32_t* c = first; c != last; ++c) append_utf8(*c, &out->bytes);
  out->begin.push_back(static_cast<uint32_t>(out->bytes.size()));
}

}  // namespace dpt::text
