// The tokenizer against a table of tricky cases on the small fixture vocabulary
// (fixtures/vocab.txt): expected ids as BERT's reference tokenizer gives them
// (bert_reference.py; the tokens are in the comments), plus invalid UTF-8 and vocab loading.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "text/tokenizer.h"
#include "text/utf8.h"

namespace dpt::text {
namespace {

const std::string kFixtureVocab = std::string(DPT_SOURCE_DIR) + "/tests/unit/text/fixtures/vocab.txt";

struct Case {
  const char* name;
  const char* text;
  bool lower_case;
  std::vector<int32_t> ids;
};

// clang-format off
const Case kCases[] = {
    {"punctuation", "Hello, World!", true, {9, 12, 10, 11}},  // hello , world !
    {"wordpiece_continuation", "runnable", true, {24, 46}},  // run ##nable
    {"longest_match_first", "unaffable", true, {47, 8}},  // unaff ##able
    {"suffixes", "running runs", true, {24, 49, 26, 24, 25}},  // run ##n ##ing run ##s
    {"accents_and_case", "Caf\xC3\xA9"" na\xC3\xAF""ve R\xC3\x89""SUM\xC3\x89", true, {27, 28, 29}},  // cafe naive resume
    {"combining_accent", "cafe\xCC\x81", true, {27}},  // cafe
    {"cjk_split", "\xE4\xBD\xA0""\xE5\xA5\xBD""\xE4\xB8\x96""\xE7\x95\x8C", true, {30, 31, 32, 33}},  // 你 好 世 界
    {"cjk_inside_word", "hello\xE4\xBD\xA0""\xE5\xA5\xBD""world", true, {9, 30, 31, 10}},  // hello 你 好 world
    {"unknown_word", "xyz", true, {1}},  // [UNK]
    {"unmatched_tail_makes_whole_word_unknown", "unaffablex", true, {1}},  // [UNK]
    {"apostrophe_and_abbreviation", "don't e.g.", true, {36, 15, 37, 38, 13, 39, 13}},  // don ' t e . g .
    {"ascii_symbols", "$5 (x)", true, {17, 18, 50, 52, 51}},  // $ 5 ( x )
    {"unicode_punctuation", "\xC2\xAB""hello\xC2\xBB""\xE2\x80\x94""world\xEF\xBC\x81", true, {21, 9, 22, 20, 10, 23}},  // « hello » — world ！
    {"zero_width_control_removed", "hel\xE2\x80\x8B""lo", true, {9}},  // hello
    {"nbsp_tab_newline_separate", "hello\xC2\xA0""world\x09""hello\x0D""\x0A""world", true, {9, 10, 9, 10}},  // hello world hello world
    {"greek_final_sigma", "\xCE\x9F""\xCE\x94""\xCE\x9F""\xCE\xA3"" \xCE\xA3", true, {40, 41}},  // οδος σ
    {"dotted_capital_i", "\xC4\xB0", true, {42}},  // i
    {"ligature_not_decomposed", "\xEF\xAC\x81", true, {1}},  // [UNK]
    {"hangul_to_jamo", "\xED\x95\x9C", true, {43, 44, 45}},  // ᄒ ##ᅡ ##ᆫ
    {"empty", "", true, {}},  // 
    {"only_whitespace_and_controls", " \x09""\xE2\x80\x8B""\x01"" ", true, {}},  // 
    {"cased_keeps_case", "Hello hello", false, {48, 9}},  // Hello hello
    {"cased_keeps_accents", "caf\xC3\xA9", false, {53}},  // café
};
// clang-format on

std::vector<int32_t> encode(const Vocab& vocab, const std::string& text, bool lower_case = true) {
  Tokenizer tokenizer(vocab, {{lower_case, lower_case}});
  std::vector<int32_t> ids;
  tokenizer.encode(text, &ids);
  return ids;
}

TEST(Tokenizer, TableOfTrickyCases) {
  const Vocab vocab = Vocab::load(kFixtureVocab);
  for (const Case& c : kCases) {
    EXPECT_EQ(encode(vocab, c.text, c.lower_case), c.ids) << c.name;
  }
}

TEST(Tokenizer, WordsLongerThanMaxWordCharsAreUnknown) {
  const Vocab vocab = Vocab::load(kFixtureVocab);
  const int32_t a = vocab.find("a"), b = vocab.find_continuation("b"), unk = vocab.special().unk;
  std::vector<int32_t> hundred(100, b);
  hundred[0] = a;
  EXPECT_EQ(encode(vocab, "a" + std::string(99, 'b')), hundred);        // 100 characters: split
  EXPECT_EQ(encode(vocab, "a" + std::string(100, 'b')), std::vector<int32_t>{unk});  // 101: [UNK]
  // Characters, not bytes: a word of 100 three-byte jamo (300 bytes) is still split.
  const std::string hieut = "\xE1\x84\x92", a_jamo = "\xE1\x85\xA1";  // U+1112 U+1161
  std::string jamo = hieut;
  for (int i = 0; i < 99; ++i) jamo += a_jamo;
  std::vector<int32_t> expected(100, vocab.find_continuation(a_jamo));
  expected[0] = vocab.find(hieut);
  EXPECT_EQ(encode(vocab, jamo), expected);
  EXPECT_EQ(encode(vocab, jamo + a_jamo), std::vector<int32_t>{unk});
}

TEST(Tokenizer, InvalidUtf8NamesSourceAndByteOffset) {
  const Vocab vocab = Vocab::load(kFixtureVocab);
  Tokenizer tokenizer(vocab, {});
  std::vector<int32_t> ids;
  const struct {
    std::string text;
    int64_t offset;
  } bad[] = {
      {"hello \xC3(", 6},            // a lead byte without its continuation
      {"ab\x80", 2},                 // a lone continuation byte
      {"x\xC0\xAF", 1},              // overlong '/'
      {"xy\xED\xA0\x80", 2},         // a surrogate, U+D800
      {"\xF4\x90\x80\x80", 0},       // above U+10FFFF
      {"caf\xC3\xA9 \xE4\xBD", 6},   // truncated at the end, after valid two-byte text
  };
  for (const auto& b : bad) {
    try {
      tokenizer.encode(b.text, &ids, "corpus.txt", 1000);
      ADD_FAILURE() << "no error for offset " << b.offset;
    } catch (const DataError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("corpus.txt: invalid UTF-8 at byte offset " + std::to_string(1000 + b.offset)),
                std::string::npos)
          << what;
    }
    EXPECT_EQ(find_invalid_utf8(b.text), static_cast<size_t>(b.offset));
  }
  EXPECT_EQ(find_invalid_utf8("caf\xC3\xA9 \xF0\x9F\x98\x80"), std::string_view::npos);  // é and an emoji
}

TEST(Vocab, LoadsCrLfDuplicatesAndEmptyLinesLikeBert) {
  const std::string path = ::testing::TempDir() + "vocab_crlf.txt";
  std::ofstream(path, std::ios::binary) << "[PAD]\r\n[UNK]\r\nhello\r\n\r\nhello\r\n##lo\r\nlast";
  const Vocab v = Vocab::load(path);
  EXPECT_EQ(v.size(), 7);
  EXPECT_EQ(v.token(3), "");
  EXPECT_EQ(v.find("hello"), 4);  // the later line wins
  EXPECT_EQ(v.find_continuation("lo"), 5);
  EXPECT_EQ(v.find("last"), 6);   // no final newline
  EXPECT_EQ(v.special().pad, 0);
  EXPECT_EQ(v.special().unk, 1);
  EXPECT_EQ(v.special().cls, -1);
  EXPECT_EQ(v.hash().rfind("fnv1a64:", 0), 0u);
}

TEST(Vocab, ErrorsNameTheFile) {
  const std::string dir = ::testing::TempDir();
  std::ofstream(dir + "vocab_nounk.txt") << "[PAD]\nhello\n";
  std::ofstream(dir + "vocab_latin1.txt", std::ios::binary) << "[UNK]\ncaf\xE9\n";
  EXPECT_THROW(Vocab::load(dir + "missing_vocab.txt"), DataError);
  try {
    Vocab::load(dir + "vocab_nounk.txt");
    ADD_FAILURE();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("has no [UNK] token"), std::string::npos) << e.what();
  }
  try {
    Vocab::load(dir + "vocab_latin1.txt");
    ADD_FAILURE();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("vocab_latin1.txt': invalid UTF-8 at byte offset 9"), std::string::npos)
        << e.what();
  }
}

TEST(Vocab, SaveThenLoadKeepsTokensAndHash) {
  const Vocab built = Vocab::from_tokens({"[PAD]", "[UNK]", "x", "##y"}, "test");
  const std::string path = ::testing::TempDir() + "vocab_roundtrip.txt";
  built.save(path);
  const Vocab loaded = Vocab::load(path);
  EXPECT_EQ(loaded.tokens(), built.tokens());
  EXPECT_EQ(loaded.hash(), built.hash());  // the hash of the text = the hash of the file
}

}  // namespace
}  // namespace dpt::text
