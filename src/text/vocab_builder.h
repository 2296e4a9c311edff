#pragma once
// Builds a WordPiece vocabulary from a corpus (`dptrain vocab`).
//
// Note [WordPiece training]
// 1. Count the words of the corpus, as the tokenizer's basic step splits them (same
//    lower-casing and accent stripping), skipping words longer than max_word_chars.
// 2. Spell every word in characters: the first as itself, the rest as "##c". These symbols
//    are the alphabet; if it does not fit into the requested size, only its most frequent
//    symbols are kept and the words that need a dropped one take no part in the merges.
// 3. Repeatedly merge the adjacent pair of symbols (a, b) with the best score into one
//    symbol ab, in every word, until the vocabulary has `size` tokens or no pair occurs at
//    least min_frequency times. Scores: likelihood (WordPiece, as Schuster & Nakajima 2012
//    and the Hugging Face course describe it): count(ab) / (count(a) * count(b)), the gain in
//    corpus likelihood of a unigram model over symbols; or frequency (BPE): count(ab). Ties
//    go to the higher count, then to the smaller symbol ids: the result is deterministic.
// The vocabulary is [PAD] [UNK] [CLS] [SEP] [MASK] (ids 0..4), then the alphabet (word-initial
// symbols, then "##" ones, each in code point order), then the merged symbols in merge order.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "text/basic_tokenizer.h"

namespace dpt::text {

enum class MergeScore { kLikelihood, kFrequency, kPmi };
// "likelihood" | "frequency"; throws ConfigError for anything else.
MergeScore parse_merge_score(const std::string& text);

struct VocabBuildOptions {
  int64_t size = 8000;  // tokens in the result, specials included
  BasicOptions basic;
  int max_word_chars = 100;
  int64_t min_frequency = 2;  // a pair seen fewer times is never merged
  MergeScore score = MergeScore::kLikelihood;
};

struct VocabBuildResult {
  std::vector<std::string> tokens;  // in id order
  int64_t words = 0, distinct_words = 0;
  int64_t alphabet = 0, alphabet_dropped = 0;  // symbols kept / dropped for lack of room
  int64_t merges = 0;
  bool size_reached = false;  // false: the corpus ran out of pairs first
};

class VocabBuilder {
 public:
  explicit VocabBuilder(VocabBuildOptions options);

  // Counts the words of `text` (Note [WordPiece training], step 1). Invalid UTF-8 throws
  // DataError naming `source` and the byte offset `base_offset` + position.
  void add_text(std::string_view text, const std::string& source, int64_t base_offset = 0);

  // Steps 2 and 3. `progress(tokens, size)` is called now and then with the tokens so far.
  VocabBuildResult build(const std::function<void(int64_t, int64_t)>& progress = {}) const;

 private:
  VocabBuildOptions options_;
  BasicTokenizer basic_;
  Words words_;
  std::unordered_map<std::string, int64_t> counts_;
  int64_t total_words_ = 0;
};

}  // namespace dpt::text
