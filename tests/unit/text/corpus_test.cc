// Reading corpora (text/corpus.h): the four formats, labels by directory / file / column,
// the file walk (sorted, hidden and *.dat skipped, links read once) and its errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "text/corpus.h"

namespace fs = std::filesystem;

namespace dpt::text {
namespace {

struct Doc {
  std::string text, label, file;
  int64_t offset, line;
  bool operator==(const Doc& o) const {
    return text == o.text && label == o.label && file == o.file && offset == o.offset && line == o.line;
  }
};

std::ostream& operator<<(std::ostream& out, const Doc& d) {
  return out << "{" << d.text << "|" << d.label << "|" << d.file << "@" << d.offset << ":" << d.line << "}";
}

struct Corpus : ::testing::Test {
  fs::path dir = fs::path(::testing::TempDir()) / ("corpus_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
  void SetUp() override {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void write(const std::string& name, const std::string& text) {
    fs::create_directories((dir / name).parent_path());
    std::ofstream(dir / name, std::ios::binary) << text;
  }
  std::vector<Doc> read(CorpusOptions o) {
    if (o.inputs.empty()) o.inputs = {dir.string()};
    std::vector<Doc> docs;
    for_each_document(o, [&](const Document& d) {
      docs.push_back({std::string(d.text), std::string(d.label), fs::path(*d.file).filename().string(), d.offset, d.line});
    });
    return docs;
  }
};

TEST_F(Corpus, FortuneFilesLabelledByFile) {
  write("science", "E = mc^2\n\t-- Einstein\n%\n%\n  Two\nlines\n%\nlast without a final %");
  write("science.dat", std::string("\x00\x01\x02\xff", 4));  // strfile's index: skipped
  write("work", "Work.\n%\n");
  CorpusOptions o;
  o.format = CorpusFormat::kFortune;
  o.labels = LabelSource::kFile;
  const std::vector<Doc> expected = {
      {"E = mc^2\n\t-- Einstein", "science", "science", 0, 1},
      {"Two\nlines", "science", "science", 28, 5},
      {"last without a final %", "science", "science", 40, 8},
      {"Work.", "work", "work", 0, 1},
  };
  EXPECT_EQ(read(o), expected);
}

TEST_F(Corpus, PlainAndLinesLabelledByDirectory) {
  write("pos/a.txt", "good film\n\nfine\n");
  write("neg/b.txt", "  bad  ");
  write(".hidden/c.txt", "never read");
  write("pos/.d.txt", "never read");
  CorpusOptions o;
  o.labels = LabelSource::kDirectory;
  EXPECT_EQ(read(o), (std::vector<Doc>{{"bad", "neg", "b.txt", 2, 1}, {"good film\n\nfine", "pos", "a.txt", 0, 1}}));
  o.format = CorpusFormat::kLines;
  EXPECT_EQ(read(o), (std::vector<Doc>{{"bad", "neg", "b.txt", 2, 1},
                                       {"good film", "pos", "a.txt", 0, 1},
                                       {"fine", "pos", "a.txt", 11, 3}}));
}

TEST_F(Corpus, TsvColumnsWithHeader) {
  write("d.tsv", "label\ttext\nspam\tBuy now!\nham\t Hi there \n\n");
  CorpusOptions o;
  o.format = CorpusFormat::kTsv;
  o.labels = LabelSource::kColumn;
  o.text_column = 1;
  o.label_column = 0;
  o.tsv_header = true;
  EXPECT_EQ(read(o), (std::vector<Doc>{{"Buy now!", "spam", "d.tsv", 16, 2}, {"Hi there", "ham", "d.tsv", 30, 3}}));
  write("d.tsv", "label\ttext\nspam\n");
  try {
    read(o);
    ADD_FAILURE();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("d.tsv:2: 1 tab-separated column(s), but column 1"), std::string::npos) << e.what();
  }
}

TEST_F(Corpus, LinkedFilesAreReadOnceUnderTheFirstName) {
  write("art", "Art.\n");
  fs::create_symlink(dir / "art", dir / "art.u8");
  CorpusOptions o;
  o.format = CorpusFormat::kFortune;
  o.labels = LabelSource::kFile;
  EXPECT_EQ(read(o), (std::vector<Doc>{{"Art.", "art", "art", 0, 1}}));
}

TEST_F(Corpus, ErrorsSayWhatAndWhere) {
  write("latin1.txt", "ok\ncaf\xe9\n");
  try {
    read({});
    ADD_FAILURE();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("latin1.txt': invalid UTF-8 at byte offset 6"), std::string::npos) << e.what();
  }
  CorpusOptions missing;
  missing.inputs = {(dir / "nope").string()};
  EXPECT_THROW(read(missing), DataError);
  fs::create_directories(dir / "empty");
  CorpusOptions empty;
  empty.inputs = {(dir / "empty").string()};
  EXPECT_THROW(read(empty), DataError);
  CorpusOptions column;
  column.labels = LabelSource::kColumn;
  EXPECT_THROW(read(column), ConfigError);
  EXPECT_THROW(parse_corpus_format("csv"), ConfigError);
  EXPECT_THROW(parse_label_source("folder"), ConfigError);
}

}  // namespace
}  // namespace dpt::text
