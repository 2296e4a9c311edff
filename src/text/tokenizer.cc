#include "text/tokenizer.h"

#include <algorithm>

#include "text/utf8.h"

namespace dpt::text {

Tokenizer::Tokenizer(const Vocab& vocab, TokenizerOptions options)
    : vocab_(vocab), options_(options), basic_(options.basic) {}

void Tokenizer::encode(std::string_view text, std::vector<int32_t>* ids, const std::string& source,
                       int64_t base_offset) {
  basic_.split(text, &words_, source, base_offset);
  for (size_t i = 0; i < words_.size(); ++i) encode_word(words_[i], ids);
}

void Tokenizer::encode_word(std::string_view word, std::vector<int32_t>* ids) const {
  const int32_t unk = vocab_.special().unk;
  if (word.size() > static_cast<size_t>(options_.max_word_chars) &&
      std::count_if(word.begin(), word.end(), is_utf8_lead) > options_.max_word_chars) {
    ids->push_back(unk);
    return;
  }
  const size_t mark = ids->size();
  size_t start = 0;
  while (start < word.size()) {
    // The longest candidate that can be a token, shortened to a character boundary.
    size_t end = std::min(word.size(), start + vocab_.max_piece_bytes());
    while (end < word.size() && !is_utf8_lead(word[end])) --end;
    int32_t id = -1;
    while (end > start) {
      const std::string_view piece = word.substr(start, end - start);
      id = start == 0 ? vocab_.find(piece) : vocab_.find_continuation(piece);
      if (id >= 0) break;
      do --end;
      while (end > start && !is_utf8_lead(word[end]));
    }
    if (id < 0) {  // no piece matches: the whole word is unknown
      ids->resize(mark);
      ids->push_back(unk);
      return;
    }
    ids->push_back(id);
    start = end;
  }
}

}  // namespace dpt::text
