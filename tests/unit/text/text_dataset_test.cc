// Documents -> samples (text/text_dataset.h): the hash split (pinned values, stable under
// reordering), one padded and truncated sample per labelled document, packing.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "common/error.h"
#include "text/text_dataset.h"

namespace dpt::text {
namespace {

const std::string kFixtureVocab = std::string(DPT_SOURCE_DIR) + "/tests/unit/text/fixtures/vocab.txt";
const std::string kFile = "corpus.txt";

struct TextDataset : ::testing::Test {
  Vocab vocab = Vocab::load(kFixtureVocab);
  Tokenizer tokenizer{vocab, {}};
  int32_t id(const char* token) const { return vocab.find(token); }
  static Document doc(std::string_view text, std::string_view label = {}) {
    Document d;
    d.text = text;
    d.label = label;
    d.file = &kFile;
    return d;
  }
  std::vector<int32_t> row(const EncodedSplit& s, int64_t i, int64_t len) const {
    return {s.input_ids.begin() + i * len, s.input_ids.begin() + (i + 1) * len};
  }
  std::vector<uint8_t> mask(const EncodedSplit& s, int64_t i, int64_t len) const {
    return {s.attention_mask.begin() + i * len, s.attention_mask.begin() + (i + 1) * len};
  }
};

TEST(TextSplit, HashValuesArePinned) {
  // The split must never change: these values are part of the format (an independent Python
  // version of the hash in tests/unit/text/prepare_text_check.py gives the same).
  EXPECT_DOUBLE_EQ(document_hash_unit("hello world"), 0.7282269925525162);
  EXPECT_DOUBLE_EQ(document_hash_unit("A fortune."), 0.26073215285123275);
  EXPECT_DOUBLE_EQ(document_hash_unit("x"), 0.924888515356399);
  EXPECT_TRUE(is_test_document("A fortune.", 0.3));
  EXPECT_FALSE(is_test_document("A fortune.", 0.2));
}

TEST(TextSplit, FractionIsAboutRight) {
  int test = 0;
  for (int i = 0; i < 20000; ++i) test += is_test_document("document number " + std::to_string(i), 0.1);
  EXPECT_NEAR(test / 20000.0, 0.1, 0.01);
}

TEST_F(TextDataset, LabelledDocumentsArePaddedTruncatedAndLabelledByName) {
  SequenceOptions o;
  o.max_len = 5;
  o.test_fraction = 0;
  TextDatasetBuilder b(tokenizer, o, true);
  b.add(doc("hello world", "greet"));
  b.add(doc("run", "act"));
  b.add(doc("hello hello hello world", "greet"));  // 4 tokens: truncated to 3
  b.add(doc("\x01\x02", "act"));                 // no tokens: skipped
  const EncodedCorpus c = b.finish();
  EXPECT_EQ(c.class_names, (std::vector<std::string>{"act", "greet"}));  // sorted names
  EXPECT_EQ(c.empty_documents, 1);
  ASSERT_EQ(c.train.samples, 3);
  EXPECT_EQ(c.test.samples, 0);
  EXPECT_EQ(c.train.truncated, 1);
  EXPECT_EQ(c.train.class_documents, (std::vector<int64_t>{1, 2}));
  const int32_t cls = id("[CLS]"), sep = id("[SEP]"), pad = id("[PAD]"), hello = id("hello"), world = id("world");
  // Samples come in hash order; find each by its label and length.
  for (int64_t i = 0; i < 3; ++i) {
    const auto r = row(c.train, i, 5);
    const auto m = mask(c.train, i, 5);
    if (c.train.labels[static_cast<size_t>(i)] == 0) {
      EXPECT_EQ(r, (std::vector<int32_t>{cls, id("run"), sep, pad, pad}));
      EXPECT_EQ(m, (std::vector<uint8_t>{1, 1, 1, 0, 0}));
    } else if (r[2] == world) {
      EXPECT_EQ(r, (std::vector<int32_t>{cls, hello, world, sep, pad}));
      EXPECT_EQ(m, (std::vector<uint8_t>{1, 1, 1, 1, 0}));
    } else {
      EXPECT_EQ(r, (std::vector<int32_t>{cls, hello, hello, hello, sep}));
      EXPECT_EQ(m, (std::vector<uint8_t>{1, 1, 1, 1, 1}));
    }
  }
}

TEST_F(TextDataset, ClassesListAndMinDocsChooseAndOrderLabels) {
  SequenceOptions o;
  o.test_fraction = 0;
  o.classes = {"greet", "act"};
  o.min_docs = 2;
  TextDatasetBuilder b(tokenizer, o, true);
  for (const char* t : {"hello", "world", "hello world"}) b.add(doc(t, "greet"));
  b.add(doc("run", "act"));
  b.add(doc("x", "other"));
  const EncodedCorpus c = b.finish();
  EXPECT_EQ(c.class_names, std::vector<std::string>{"greet"});  // act: 1 < min_docs
  EXPECT_EQ(c.dropped_classes, (std::vector<std::pair<std::string, int64_t>>{{"act", 1}, {"other", 1}}));
  EXPECT_EQ(c.train.samples, 3);
  EXPECT_EQ(c.train.labels, (std::vector<int32_t>{0, 0, 0}));

  SequenceOptions bad = o;
  bad.classes = {"greet", "nope"};
  TextDatasetBuilder b2(tokenizer, bad, true);
  b2.add(doc("hello", "greet"));
  EXPECT_THROW(b2.finish(), DataError);
}

TEST_F(TextDataset, PackingJoinsDocumentsWithSepInHashOrder) {
  SequenceOptions o;
  o.max_len = 5;  // pieces of 3
  o.test_fraction = 0;
  o.pack = true;
  const std::vector<std::string> texts = {"hello world", "run runs", "a"};
  TextDatasetBuilder b(tokenizer, o, false);
  for (const auto& t : texts) b.add(doc(t));
  const EncodedCorpus c = b.finish();
  // The expected stream: documents by hash, joined by [SEP].
  std::vector<std::string> order = texts;
  std::sort(order.begin(), order.end(),
            [](const std::string& x, const std::string& y) { return document_hash_unit(x) < document_hash_unit(y); });
  std::vector<int32_t> stream;
  for (const auto& t : order) {
    if (!stream.empty()) stream.push_back(id("[SEP]"));
    tokenizer.encode(t, &stream);
  }
  ASSERT_EQ(stream.size(), 8u);  // hello world | run run ##s | a, two [SEP]
  std::vector<int32_t> unpacked;
  for (int64_t i = 0; i < c.train.samples; ++i) {
    const auto r = row(c.train, i, 5);
    const auto m = mask(c.train, i, 5);
    const auto real = std::count(m.begin(), m.end(), 1);
    EXPECT_EQ(r[0], id("[CLS]"));
    EXPECT_EQ(r[static_cast<size_t>(real - 1)], id("[SEP]"));
    EXPECT_TRUE(std::all_of(r.begin() + real, r.end(), [&](int32_t t) { return t == id("[PAD]"); }));
    if (i + 1 < c.train.samples) EXPECT_EQ(real, 5) << "only the last sample has padding";
    EXPECT_NE(r[1], id("[SEP]")) << "a piece never starts with [SEP]";
    unpacked.insert(unpacked.end(), r.begin() + 1, r.begin() + real - 1);
    if (!unpacked.empty() && i + 1 < c.train.samples && stream[unpacked.size()] == id("[SEP]")) {
      unpacked.push_back(id("[SEP]"));  // the separator that was dropped at the next piece's start
    }
  }
  EXPECT_EQ(unpacked, stream);
  EXPECT_TRUE(c.train.labels.empty());
}

TEST_F(TextDataset, SplitDependsOnTheTextOnly) {
  std::vector<std::string> texts;
  for (int i = 0; i < 300; ++i) texts.push_back("hello " + std::string(static_cast<size_t>(i % 7 + 1), 'a') + " " + std::to_string(i));
  const auto run = [&](const std::vector<std::string>& docs, const char* label) {
    SequenceOptions o;
    o.max_len = 16;
    o.test_fraction = 0.25;
    TextDatasetBuilder b(tokenizer, o, true);
    for (const auto& t : docs) b.add(doc(t, label));
    return b.finish();
  };
  const EncodedCorpus a = run(texts, "x");
  std::vector<std::string> shuffled = texts;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(7));
  const EncodedCorpus b = run(shuffled, "y");  // other order, other label name
  EXPECT_EQ(a.test.input_ids, b.test.input_ids);
  EXPECT_EQ(a.train.input_ids, b.train.input_ids);
  int64_t expected_test = 0;
  for (const auto& t : texts) expected_test += is_test_document(t, 0.25);
  EXPECT_EQ(a.test.samples, expected_test);
  EXPECT_EQ(a.train.samples + a.test.samples, 300);
}

TEST_F(TextDataset, RejectsBadOptions) {
  SequenceOptions o;
  o.max_len = 2;
  EXPECT_THROW(TextDatasetBuilder(tokenizer, o, false), ConfigError);
  o.max_len = 8;
  o.test_fraction = 1.0;
  EXPECT_THROW(TextDatasetBuilder(tokenizer, o, false), ConfigError);
  const Vocab no_cls = Vocab::from_tokens({"[PAD]", "[UNK]", "[SEP]"}, "small");
  Tokenizer t(no_cls, {});
  EXPECT_THROW(TextDatasetBuilder(t, SequenceOptions{}, false), DataError);
}

}  // namespace
}  // namespace dpt::text
