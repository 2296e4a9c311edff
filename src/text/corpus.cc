#include "text/corpus.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/error.h"
#include "text/utf8.h"

namespace fs = std::filesystem;

namespace dpt::text {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// `s` without surrounding ASCII whitespace; *shift gets the bytes removed at the front.
std::string_view trim(std::string_view s, size_t* shift) {
  size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  *shift = b;
  return s.substr(b, e - b);
}

std::string read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  DPT_CHECK(file.good(), DataError, "cannot read corpus file '" << path << "' (permissions?)");
  std::ostringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

// Splits `text` into lines (without "\n"); calls f(line, offset, line_number).
template <typename F>
void for_each_line(std::string_view text, F&& f) {
  size_t begin = 0;
  int64_t number = 1;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    f(text.substr(begin, end - begin), begin, number++);
    begin = end + 1;
  }
}

class FileReader {
 public:
  FileReader(const CorpusOptions& o, const std::string& path, const std::function<void(const Document&)>& visit)
      : o_(o), path_(path), visit_(visit) {
    if (o.labels == LabelSource::kDirectory) {
      fixed_label_ = fs::absolute(fs::path(path)).parent_path().filename().string();
    } else if (o.labels == LabelSource::kFile) {
      fixed_label_ = fs::path(path).stem().string();
    }
  }

  void read() {
    const std::string content = read_file(path_);
    check_utf8(content, "corpus file '" + path_ + "'");
    const std::string_view text(content);
    switch (o_.format) {
      case CorpusFormat::kPlain: emit(text, 0, 1, fixed_label_); break;
      case CorpusFormat::kLines:
        for_each_line(text, [&](std::string_view line, size_t at, int64_t n) { emit(line, at, n, fixed_label_); });
        break;
      case CorpusFormat::kFortune: read_fortunes(text); break;
      case CorpusFormat::kTsv: read_tsv(text); break;
    }
  }

 private:
  void emit(std::string_view raw, size_t at, int64_t line, std::string_view label) {
    size_t shift = 0;
    Document d;
    d.text = trim(raw, &shift);
    if (d.text.empty()) return;
    d.label = label;
    d.file = &path_;
    d.offset = static_cast<int64_t>(at + shift);
    d.line = line;
    visit_(d);
  }

  void read_fortunes(std::string_view text) {
    size_t start = 0;
    int64_t start_line = 1;
    for_each_line(text, [&](std::string_view line, size_t at, int64_t n) {
      size_t shift = 0;
      if (trim(line, &shift) != "%") return;
      emit(text.substr(start, at - start), start, start_line, fixed_label_);
      start = at + line.size() + 1;
      start_line = n + 1;
    });
    if (start < text.size()) emit(text.substr(start), start, start_line, fixed_label_);
  }

  void read_tsv(std::string_view text) {
    const int needed = std::max(o_.text_column, o_.labels == LabelSource::kColumn ? o_.label_column : 0);
    for_each_line(text, [&](std::string_view line, size_t at, int64_t n) {
      if (n == 1 && o_.tsv_header) return;
      size_t shift = 0;
      if (trim(line, &shift).empty()) return;
      std::vector<std::string_view> columns;
      std::vector<size_t> starts;
      for (size_t b = 0;;) {
        const size_t tab = line.find('\t', b);
        columns.push_back(line.substr(b, tab == std::string_view::npos ? std::string_view::npos : tab - b));
        starts.push_back(b);
        if (tab == std::string_view::npos) break;
        b = tab + 1;
      }
      DPT_CHECK(static_cast<int>(columns.size()) > needed, DataError,
                path_ << ":" << n << ": " << columns.size() << " tab-separated column(s), but column " << needed
                      << " (counted from 0) is needed; check --text-column / --label-column or the file");
      std::string_view label = fixed_label_;
      if (o_.labels == LabelSource::kColumn) {
        label = trim(columns[static_cast<size_t>(o_.label_column)], &shift);
        DPT_CHECK(!label.empty(), DataError, path_ << ":" << n << ": the label column " << o_.label_column << " is empty");
      }
      const auto c = static_cast<size_t>(o_.text_column);
      emit(columns[c], at + starts[c], n, label);
    });
  }

  const CorpusOptions& o_;
  const std::string& path_;
  const std::function<void(const Document&)>& visit_;
  std::string fixed_label_;
};

}  // namespace

CorpusFormat parse_corpus_format(const std::string& text) {
  if (text == "plain") return CorpusFormat::kPlain;
  if (text == "lines") return CorpusFormat::kLines;
  if (text == "fortune") return CorpusFormat::kFortune;
  if (text == "tsv") return CorpusFormat::kTsv;
  DPT_THROW(ConfigError, "unknown corpus format '" << text << "' (known: plain, lines, fortune, tsv)");
}

LabelSource parse_label_source(const std::string& text) {
  if (text == "none") return LabelSource::kNone;
  if (text == "dir") return LabelSource::kDirectory;
  if (text == "file") return LabelSource::kFile;
  if (text == "column") return LabelSource::kColumn;
  DPT_THROW(ConfigError, "unknown label source '" << text << "' (known: none, dir, file, column)");
}

std::vector<std::string> list_corpus_files(const CorpusOptions& o) {
  DPT_CHECK(!o.inputs.empty(), ConfigError, "no corpus given: name text files or directories with --input");
  const auto wanted = [&](const fs::path& p) {
    const std::string name = p.filename().string();
    if (name.empty() || name[0] == '.') return false;
    return !(o.format == CorpusFormat::kFortune && p.extension() == ".dat");
  };
  std::vector<std::string> files;
  std::set<fs::path> seen;
  const auto add = [&](const fs::path& p) {
    std::error_code ec;
    const fs::path real = fs::canonical(p, ec);
    if (seen.insert(ec ? p : real).second) files.push_back(p.string());
  };
  for (const std::string& input : o.inputs) {
    std::error_code ec;
    const fs::file_status st = fs::status(input, ec);
    DPT_CHECK(!ec && fs::exists(st), DataError, "corpus input '" << input << "' does not exist");
    if (!fs::is_directory(st)) {
      add(input);
      continue;
    }
    std::vector<fs::path> found;
    for (auto it = fs::recursive_directory_iterator(input, fs::directory_options::follow_directory_symlink, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->path().filename().string().rfind('.', 0) == 0 && it->is_directory()) {
        it.disable_recursion_pending();  // hidden directories
        continue;
      }
      if (it->is_regular_file() && wanted(it->path())) found.push_back(it->path());
    }
    DPT_CHECK(!ec, DataError, "cannot list corpus directory '" << input << "': " << ec.message());
    std::sort(found.begin(), found.end());
    for (const auto& p : found) add(p);
  }
  DPT_CHECK(!files.empty(), DataError, "the corpus inputs hold no files: " << o.inputs.front() << (o.inputs.size() > 1 ? " ..." : ""));
  return files;
}

void for_each_document(const CorpusOptions& options, const std::function<void(const Document&)>& visit) {
  DPT_CHECK(options.labels != LabelSource::kColumn || options.format == CorpusFormat::kTsv, ConfigError,
            "labels from a column need --format tsv");
  for (const std::string& path : list_corpus_files(options)) FileReader(options, path, visit).read();
}

}  // namespace dpt::text
