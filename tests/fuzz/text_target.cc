// Fuzz target: the WordPiece vocabulary reader and the tokenizer (text/vocab.h,
// text/tokenizer.h). The bytes before the first NUL are a vocab.txt (loaded from a file, as
// `--vocab` is); the bytes after it are text, tokenized with a small fixed vocabulary
// (uncased and cased) and, when the vocab.txt was accepted, with that one too. Checks beyond
// "no crash":
//   - an accepted vocab.txt has one token per line, finds each token at its last line's id,
//     has [UNK], and hashes like the same tokens built in memory (when the bytes are exactly
//     those tokens, one per "\n"-ended line);
//   - text with invalid UTF-8 is rejected with a DataError naming the first bad byte's offset,
//     and valid UTF-8 is never rejected;
//   - every id is in the vocabulary; the same text encodes to the same ids twice with one
//     tokenizer (its scratch buffers reused) and with a fresh one;
//   - each word's pieces ("##" dropped) re-join to the word, each the longest match at its place,
//     unless the word is [UNK] alone (and then the word, if not too long, is no token).
#include <algorithm>
#include <string>
#include <vector>

#include "common/error.h"
#include "support.h"
#include "targets.h"
#include "text/tokenizer.h"
#include "text/utf8.h"
#include "text/vocab.h"

namespace dpt::fuzz {
namespace {

using text::Tokenizer;
using text::Vocab;

const Vocab& fixed_vocab() {
  static const Vocab vocab = [] {
    std::vector<std::string> tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "un", "##able", "##ing",
                                       "##s", "hello", "world", "Hello", "é", "##é", "ß", "σ", "##ς", "中", "文",
                                       "ﬁ", "##ﬁ", "İ", "i̇", ".", ",", "!", "##", "###"};
    for (char c = 'a'; c <= 'z'; ++c) {
      tokens.emplace_back(1, c);
      tokens.push_back(std::string("##") + c);
    }
    return Vocab::from_tokens(std::move(tokens), "fixed vocabulary");
  }();
  return vocab;
}

// Loads the vocab.txt into *out and checks it; false when it was rejected.
bool load_vocab(const uint8_t* data, size_t size, Vocab* out) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    *out = Vocab::load(write_scratch("vocab", data, size));
  } catch (const dpt::DataError&) {
    return false;
  }
  const Vocab& v = *out;
  size_t lines = 0;
  for (char c : bytes) lines += c == '\n';
  if (!bytes.empty() && bytes.back() != '\n') ++lines;
  if (static_cast<size_t>(v.size()) != lines) finding("text", "vocab.txt: token count is not the line count");
  for (int32_t id = 0; id < v.size(); ++id) {
    const int32_t found = v.find(v.token(id));
    if (found < id || v.token(found) != v.token(id)) finding("text", "vocab.txt: a token is not found at its last id");
  }
  if (v.special().unk < 0 || v.token(v.special().unk) != text::kUnkToken) finding("text", "vocab.txt: [UNK] misread");
  if (bytes.find('\r') == std::string::npos && (bytes.empty() || bytes.back() == '\n') &&
      Vocab::from_tokens(v.tokens(), "tokens").hash() != v.hash()) {
    finding("text", "vocab.txt: the file and its tokens hash differently");
  }
  return true;
}

void check_ids(const Vocab& vocab, const std::vector<int32_t>& ids) {
  for (int32_t id : ids) {
    if (id < 0 || id >= vocab.size()) finding("text", "an id outside the vocabulary");
  }
}

// Encodes `text` with `vocab`; the UTF-8, determinism and re-join checks.
void tokenize(const Vocab& vocab, text::TokenizerOptions options, const std::string& text) {
  Tokenizer tokenizer(vocab, options);
  std::vector<int32_t> ids;
  const size_t bad = text::find_invalid_utf8(text);
  try {
    tokenizer.encode(text, &ids, "text", 7);
  } catch (const dpt::DataError& e) {
    if (bad == std::string::npos) finding("text", (std::string("valid UTF-8 rejected: ") + e.what()).c_str());
    if (std::string(e.what()).find("byte offset " + std::to_string(bad + 7) + " ") == std::string::npos) {
      finding("text", (std::string("invalid UTF-8 error without the right offset: ") + e.what()).c_str());
    }
    return;
  }
  if (bad != std::string::npos) finding("text", "invalid UTF-8 accepted");
  check_ids(vocab, ids);
  std::vector<int32_t> again;
  tokenizer.encode(text, &again);
  if (again != ids) finding("text", "the same text encodes differently the second time");
  again.clear();
  Tokenizer(vocab, options).encode(text, &again);
  if (again != ids) finding("text", "a fresh tokenizer encodes the text differently");

  text::BasicTokenizer basic(options.basic);
  text::Words words;
  basic.split(text, &words);
  size_t pieces = 0;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string_view word = words[i];
    if (word.empty() || text::find_invalid_utf8(word) != std::string::npos) finding("text", "an empty or invalid word");
    std::vector<int32_t> word_ids;
    tokenizer.encode_word(word, &word_ids);
    pieces += word_ids.size();
    if (word_ids.size() == 1 && word_ids[0] == vocab.special().unk) {
      const bool short_word = std::count_if(word.begin(), word.end(), text::is_utf8_lead) <= options.max_word_chars;
      if (short_word && vocab.find(word) >= 0) finding("text", "a word that is a token became [UNK]");
      continue;
    }
    std::string joined;
    for (size_t k = 0; k < word_ids.size(); ++k) {
      const std::string& token = vocab.token(word_ids[k]);
      if (word_ids[k] == vocab.special().unk) finding("text", "[UNK] inside a word's pieces");
      const std::string piece = k == 0 ? token : token.substr(2);
      if (word.substr(joined.size(), piece.size()) != piece) finding("text", "a word's pieces do not re-join to the word");
      // Longest match first: no longer piece from here on is a token.
      for (size_t end = joined.size() + piece.size() + 1; end <= word.size(); ++end) {
        if (end < word.size() && !text::is_utf8_lead(word[end])) continue;
        const std::string_view longer = word.substr(joined.size(), end - joined.size());
        if ((k == 0 ? vocab.find(longer) : vocab.find_continuation(longer)) >= 0) {
          finding("text", "a piece is not the longest match");
        }
      }
      joined += piece;
    }
    if (joined.size() != word.size()) finding("text", "a word's pieces do not re-join to the word");
  }
  if (pieces != ids.size()) finding("text", "the words' pieces are not the text's ids");
}

}  // namespace

void text_input(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const size_t nul = bytes.find('\0');
  const std::string text = nul == std::string::npos ? std::string() : bytes.substr(nul + 1);
  Vocab loaded;
  const bool accepted = load_vocab(data, nul == std::string::npos ? size : nul, &loaded);
  text::TokenizerOptions uncased, cased;
  cased.basic.lower_case = cased.basic.strip_accents = false;
  tokenize(fixed_vocab(), uncased, text);
  tokenize(fixed_vocab(), cased, text);
  if (accepted) tokenize(loaded, uncased, text);
}

}  // namespace dpt::fuzz
