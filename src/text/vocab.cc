#include "text/vocab.h"

#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>

#include "common/error.h"
#include "common/hash.h"
#include "text/utf8.h"

namespace dpt::text {
namespace {

std::string hash_text(std::string_view text) {
  char hex[32];
  std::snprintf(hex, sizeof hex, "fnv1a64:%016llx", static_cast<unsigned long long>(fnv1a64(text)));
  return hex;
}

std::string join_lines(const std::vector<std::string>& tokens) {
  std::string text;
  for (const auto& t : tokens) text += t + "\n";
  return text;
}

bool is_continuation(const std::string& token) { return token.size() > 2 && token.compare(0, 2, "##") == 0; }

}  // namespace

void Vocab::Table::build(const std::vector<std::string>& tokens, size_t prefix) {
  size_t capacity = 16;
  while (capacity < tokens.size() * 2) capacity *= 2;
  slots_.assign(capacity, 0);
  keys_.assign(capacity, {});
  mask_ = capacity - 1;
  for (size_t id = 0; id < tokens.size(); ++id) {
    if (prefix > 0 && !is_continuation(tokens[id])) continue;
    const std::string_view key = std::string_view(tokens[id]).substr(prefix);
    size_t slot = std::hash<std::string_view>{}(key)&mask_;
    while (slots_[slot] != 0 && keys_[slot] != key) slot = (slot + 1) & mask_;
    slots_[slot] = static_cast<int32_t>(id) + 1;  // a repeated token: the later id wins
    keys_[slot] = key;
  }
}

int32_t Vocab::Table::find(std::string_view key) const {
  size_t slot = std::hash<std::string_view>{}(key)&mask_;
  while (slots_[slot] != 0) {
    if (keys_[slot] == key) return slots_[slot] - 1;
    slot = (slot + 1) & mask_;
  }
  return -1;
}

Vocab Vocab::load(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  DPT_CHECK(file.good(), DataError,
            "cannot open the vocabulary '" << path << "'; give a BERT vocab.txt or build one with 'dptrain vocab'");
  std::ostringstream buffer;
  buffer << file.rdbuf();
  const std::string text = buffer.str();
  check_utf8(text, "vocabulary '" + path + "'");
  std::vector<std::string> tokens;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    size_t stop = end;
    if (stop > begin && text[stop - 1] == '\r') --stop;
    tokens.emplace_back(text, begin, stop - begin);
    begin = end + 1;
  }
  Vocab v;
  v.tokens_ = std::move(tokens);
  v.path_ = path;
  v.hash_ = hash_text(text);
  v.index("vocabulary '" + path + "'");
  return v;
}

Vocab Vocab::from_tokens(std::vector<std::string> tokens, const std::string& source) {
  for (const auto& t : tokens) check_utf8(t, source);
  Vocab v;
  v.hash_ = hash_text(join_lines(tokens));
  v.tokens_ = std::move(tokens);
  v.index(source);
  return v;
}

void Vocab::index(const std::string& source) {
  whole_.build(tokens_, 0);
  continuation_.build(tokens_, 2);
  for (const auto& t : tokens_) max_piece_bytes_ = std::max(max_piece_bytes_, t.size() - (is_continuation(t) ? 2 : 0));
  special_.pad = find(kPadToken);
  special_.unk = find(kUnkToken);
  special_.cls = find(kClsToken);
  special_.sep = find(kSepToken);
  special_.mask = find(kMaskToken);
  DPT_CHECK(special_.unk >= 0, DataError,
            source << " has no " << kUnkToken << " token (of " << tokens_.size()
                   << " lines); a WordPiece vocabulary needs one: is this a BERT vocab.txt?");
}

void Vocab::save(const std::string& path) const {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
    file << join_lines(tokens_);
    file.flush();
    DPT_CHECK(file.good(), DataError, "cannot write '" << tmp << "' (missing directory, disk full or no permission?)");
  }
  DPT_CHECK(std::rename(tmp.c_str(), path.c_str()) == 0, DataError, "cannot rename '" << tmp << "' to '" << path << "'");
}

}  // namespace dpt::text
