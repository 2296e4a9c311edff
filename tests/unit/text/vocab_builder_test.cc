// The WordPiece vocabulary builder (Note [WordPiece training]): specials first, the size
// reached, deterministic and independent of document order, the merges it must make.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "common/error.h"
#include "text/tokenizer.h"
#include "text/vocab_builder.h"

namespace dpt::text {
namespace {

// Documents of pseudo-words made of a few syllables (Zipf-like frequencies), with accents,
// capitals and punctuation; fixed by the seed.
std::vector<std::string> synthetic_corpus(int documents, unsigned seed) {
  const std::vector<std::string> syllables = {"ka", "to", "ri", "men", "sol", "é", "qu", "Ar", "in", "ø", "lu", "zh"};
  std::mt19937 rng(seed);
  std::vector<std::string> docs;
  for (int d = 0; d < documents; ++d) {
    std::string doc;
    for (int w = 0; w < 40; ++w) {
      const int parts = 1 + static_cast<int>(rng() % 3);
      for (int p = 0; p < parts; ++p) doc += syllables[std::min<size_t>(rng() % 12, rng() % 12)];
      doc += rng() % 7 == 0 ? ", " : " ";
    }
    docs.push_back(doc + ".");
  }
  return docs;
}

VocabBuildResult build(const std::vector<std::string>& docs, VocabBuildOptions o) {
  VocabBuilder b(o);
  for (const auto& d : docs) b.add_text(d, "doc");
  return b.build();
}

TEST(VocabBuilder, SpecialsFirstSizeReachedNoDuplicates) {
  VocabBuildOptions o;
  o.size = 120;
  const VocabBuildResult r = build(synthetic_corpus(300, 1), o);
  ASSERT_EQ(r.tokens.size(), 120u);
  EXPECT_TRUE(r.size_reached);
  const std::vector<std::string> specials = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  EXPECT_EQ(std::vector<std::string>(r.tokens.begin(), r.tokens.begin() + 5), specials);
  EXPECT_EQ(std::set<std::string>(r.tokens.begin(), r.tokens.end()).size(), r.tokens.size());
  EXPECT_GT(r.merges, 0);
  EXPECT_EQ(r.alphabet_dropped, 0);
}

TEST(VocabBuilder, DeterministicAndIndependentOfDocumentOrder) {
  for (MergeScore score : {MergeScore::kLikelihood, MergeScore::kFrequency, MergeScore::kPmi}) {
    VocabBuildOptions o;
    o.size = 150;
    o.score = score;
    auto docs = synthetic_corpus(300, 2);
    const VocabBuildResult a = build(docs, o), b = build(docs, o);
    std::reverse(docs.begin(), docs.end());
    const VocabBuildResult c = build(docs, o);
    EXPECT_EQ(a.tokens, b.tokens);
    EXPECT_EQ(a.tokens, c.tokens);
  }
}

TEST(VocabBuilder, EveryWordOfTheCorpusTokenizesWithoutUnknown) {
  VocabBuildOptions o;
  o.size = 100;
  const auto docs = synthetic_corpus(200, 3);
  const Vocab vocab = Vocab::from_tokens(build(docs, o).tokens, "built");
  Tokenizer tokenizer(vocab, {});
  std::vector<int32_t> ids;
  for (const auto& d : docs) tokenizer.encode(d, &ids);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), vocab.special().unk), 0);
  // Merges pay off: fewer tokens than characters.
  size_t chars = 0;
  for (const auto& d : docs) chars += d.size();
  EXPECT_LT(ids.size() * 2, chars);
}

TEST(VocabBuilder, MergesTheFrequentPairAndStopsWhenPairsRunOut) {
  VocabBuildOptions o;
  o.size = 20;
  o.score = MergeScore::kFrequency;
  const VocabBuildResult r = build({"ab ab ab cd"}, o);
  // Alphabet: word-initial symbols, then "##" ones; then the one pair seen >= 2 times.
  const std::vector<std::string> expected = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "c", "##b", "##d", "ab"};
  EXPECT_EQ(r.tokens, expected);
  EXPECT_FALSE(r.size_reached);
  EXPECT_EQ(r.words, 4);
  EXPECT_EQ(r.distinct_words, 2);
}

TEST(VocabBuilder, LikelihoodPrefersPairsThatBelongTogether) {
  // q and ##u only occur together (5 times); "th" is more frequent (6) but t also occurs in
  // "tea". Frequency merges "th" first; likelihood "qu": 5 log(5 N / 25) > 6 log(6 N / 60).
  const std::vector<std::string> docs = {
      "quo quo quo quo qua the the the the the the tea tea tea tea hat hat hat hat"};
  VocabBuildOptions o;
  o.size = 5 + 9 + 1;  // specials, alphabet (q t h ##u ##o ##a ##h ##e ##t), one merge
  o.score = MergeScore::kFrequency;
  EXPECT_EQ(build(docs, o).tokens.back(), "th");
  o.score = MergeScore::kLikelihood;
  EXPECT_EQ(build(docs, o).tokens.back(), "qu");
}

TEST(VocabBuilder, KeepsTheMostFrequentSymbolsWhenTheAlphabetDoesNotFit) {
  VocabBuildOptions o;
  o.size = 5 + 3;
  // Symbol counts: ##a 3, ##b 2, then 1 each for ##c a b c d (ties by text: "##c" first).
  const VocabBuildResult r = build({"aaaa bbb cc d"}, o);
  EXPECT_TRUE(r.size_reached);
  EXPECT_EQ(r.alphabet, 3);
  EXPECT_EQ(r.alphabet_dropped, 4);
  EXPECT_EQ(r.merges, 0);  // every word needs a dropped symbol
  EXPECT_EQ(std::vector<std::string>(r.tokens.begin() + 5, r.tokens.end()),
            (std::vector<std::string>{"##a", "##b", "##c"}));
}

TEST(VocabBuilder, RejectsASizeWithoutRoom) {
  VocabBuildOptions o;
  o.size = 5;
  EXPECT_THROW(VocabBuilder{o}, ConfigError);
  EXPECT_THROW(parse_merge_score("bpe"), ConfigError);
}

}  // namespace
}  // namespace dpt::text
