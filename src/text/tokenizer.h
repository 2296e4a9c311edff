#pragma once
// BERT's full tokenizer: basic tokenization (text/basic_tokenizer.h), then WordPiece on each
// word against a vocabulary (text/vocab.h).
//
// Note [WordPiece]
// Greedy longest match first, as BERT's WordpieceTokenizer: from the start of the word, the
// longest prefix that is a token; from there on the longest piece that is a "##" token; and so
// on to the word's end. A word with a piece that matches nothing, or with more than
// max_word_chars characters (100, as BERT), becomes the single token [UNK].
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "text/basic_tokenizer.h"
#include "text/vocab.h"

namespace dpt::text {

struct TokenizerOptions {
  BasicOptions basic;
  int max_word_chars = 100;
};

class Tokenizer {
 public:
  // Keeps a reference to `vocab`, which must outlive the tokenizer.
  Tokenizer(const Vocab& vocab, TokenizerOptions options);

  // Appends the token ids of `text` to *ids (no [CLS]/[SEP]). Invalid UTF-8 throws DataError
  // naming `source` and the byte offset `base_offset` + position in `text`.
  void encode(std::string_view text, std::vector<int32_t>* ids, const std::string& source = "text",
              int64_t base_offset = 0);
  // The ids of one word of the basic tokenizer's output, appended to *ids (Note [WordPiece]).
  void encode_word(std::string_view word, std::vector<int32_t>* ids) const;

  const Vocab& vocab() const { return vocab_; }
  const TokenizerOptions& options() const { return options_; }

 private:
  const Vocab& vocab_;
  TokenizerOptions options_;
  BasicTokenizer basic_;
  Words words_;  // scratch
};

}  // namespace dpt::text
