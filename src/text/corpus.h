#pragma once
// Reading a text corpus: files (or directories of them) -> documents, each with an optional
// label. Used by `dptrain vocab` and `dptrain prepare text` (docs/text.md, "Corpus formats").
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace dpt::text {

enum class CorpusFormat {
  kPlain,    // a file is one document
  kLines,    // each non-blank line is a document
  kFortune,  // fortune(6) files: documents separated by lines holding only "%"
  kTsv,      // each line is a record of tab-separated columns; one column is the text
};
enum class LabelSource {
  kNone,
  kDirectory,  // the name of the directory that holds the file
  kFile,       // the file's name without its last extension
  kColumn,     // a column of the TSV record
};

// "plain" | "lines" | "fortune" | "tsv" and "none" | "dir" | "file" | "column"; ConfigError else.
CorpusFormat parse_corpus_format(const std::string& text);
LabelSource parse_label_source(const std::string& text);

struct CorpusOptions {
  std::vector<std::string> inputs;  // files and directories (walked recursively)
  CorpusFormat format = CorpusFormat::kPlain;
  LabelSource labels = LabelSource::kNone;
  int text_column = 0, label_column = 1;  // TSV columns, counted from 0
  bool tsv_header = false;                // the first line of each TSV file names the columns
};

struct Document {
  std::string_view text;   // trimmed of surrounding whitespace; never empty
  std::string_view label;  // empty when options.labels is kNone
  const std::string* file = nullptr;
  int64_t offset = 0;  // byte offset of `text` in the file
  int64_t line = 0;    // line number (1-based) where it starts
};

// The files that `inputs` name, in the order documents are read: each input in turn, a
// directory's regular files (recursively, hidden ones skipped) sorted by path. A file reached
// twice (e.g. through a symbolic link) is read once, at its first place; fortune format skips
// strfile's "*.dat" indexes. Throws DataError for a missing input or an empty result.
std::vector<std::string> list_corpus_files(const CorpusOptions& options);

// Calls visit() for every document of the corpus, in file order, then in order inside a file.
// Each file is checked to be UTF-8 first (DataError with the file and byte offset). Throws
// DataError for a TSV line without the needed column, or with an empty label.
void for_each_document(const CorpusOptions& options, const std::function<void(const Document&)>& visit);

}  // namespace dpt::text
