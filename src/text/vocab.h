#pragma once
// A WordPiece vocabulary: BERT's vocab.txt format, one token per line, id = line number
// (0-based). Tokens that start with "##" continue a word; the others start one. Standard BERT
// vocabularies (bert-base-uncased etc.) load unchanged.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dpt::text {

// The special tokens, in the order that `dptrain vocab` writes them (BERT's order of use).
inline constexpr const char* kPadToken = "[PAD]";
inline constexpr const char* kUnkToken = "[UNK]";
inline constexpr const char* kClsToken = "[CLS]";
inline constexpr const char* kSepToken = "[SEP]";
inline constexpr const char* kMaskToken = "[MASK]";

// Ids of the special tokens; -1 where the vocabulary lacks one.
struct SpecialIds {
  int32_t pad = -1, unk = -1, cls = -1, sep = -1, mask = -1;
};

class Vocab {
 public:
  // Reads a vocab.txt. Lines end in "\n" (a "\r" before it is dropped); an empty line is an
  // (unusable) empty token that still takes its id; when a token repeats, its last line's id
  // wins, as in BERT's loader. Throws DataError for a missing file, invalid UTF-8 (with the
  // byte offset) and a vocabulary without [UNK].
  static Vocab load(const std::string& path);
  // A vocabulary from tokens in id order; `source` names it in errors.
  static Vocab from_tokens(std::vector<std::string> tokens, const std::string& source);

  int32_t size() const { return static_cast<int32_t>(tokens_.size()); }
  const std::string& token(int32_t id) const { return tokens_[static_cast<size_t>(id)]; }
  const std::vector<std::string>& tokens() const { return tokens_; }
  // Id of the token spelled exactly `token`, or -1.
  int32_t find(std::string_view token) const { return whole_.find(token); }
  // Id of "##" + `piece`, or -1 (the lookup of a word's non-initial piece).
  int32_t find_continuation(std::string_view piece) const { return continuation_.find(piece); }
  // Length in bytes of the longest token, without "##" for continuations (bounds the search).
  size_t max_piece_bytes() const { return max_piece_bytes_; }

  const SpecialIds& special() const { return special_; }
  // Where it came from ("" when built in memory) and "fnv1a64:<16 hex digits>" of its text
  // (the file's bytes, or the tokens joined by "\n" with a final "\n").
  const std::string& path() const { return path_; }
  const std::string& hash() const { return hash_; }

  // Writes the tokens one per line to `path` (through a temporary file and a rename).
  void save(const std::string& path) const;

 private:
  // An open-addressing map from token text to id, probing linearly; keys point into tokens_.
  class Table {
   public:
    void build(const std::vector<std::string>& tokens, size_t prefix);
    int32_t find(std::string_view key) const;

   private:
    std::vector<int32_t> slots_;  // id + 1; 0 = empty
    std::vector<std::string_view> keys_;
    size_t mask_ = 0;
  };

  void index(const std::string& source);

  std::vector<std::string> tokens_;
  Table whole_, continuation_;
  size_t max_piece_bytes_ = 0;
  SpecialIds special_;
  std::string path_, hash_;
};

}  // namespace dpt::text
