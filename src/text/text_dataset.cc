#include "text/text_dataset.h"

#include <algorithm>
#include <map>

#include "common/error.h"
#include "common/hash.h"

namespace dpt::text {

double document_hash_unit(std::string_view text) {
  const uint64_t z = mix64(fnv1a64(text));  // splitmix64's finalizer spreads FNV's low-entropy high bits
  return static_cast<double>(z >> 11) * (1.0 / 9007199254740992.0);  // 53 bits -> [0, 1)
}

bool is_test_document(std::string_view text, double test_fraction) {
  return document_hash_unit(text) < test_fraction;
}

TextDatasetBuilder::TextDatasetBuilder(Tokenizer& tokenizer, SequenceOptions options, bool labelled)
    : tokenizer_(tokenizer), options_(std::move(options)), labelled_(labelled) {
  const SpecialIds& s = tokenizer.vocab().special();
  cls_ = s.cls, sep_ = s.sep, pad_ = s.pad, unk_ = s.unk;
  DPT_CHECK(cls_ >= 0 && sep_ >= 0 && pad_ >= 0, DataError,
            "vocabulary '" << tokenizer.vocab().path() << "' lacks " << (cls_ < 0 ? kClsToken : sep_ < 0 ? kSepToken : kPadToken)
                           << ", which the sequences need; use a BERT vocab.txt or one from 'dptrain vocab'");
  DPT_CHECK(options_.max_len >= 3, ConfigError, "--max-len must be >= 3 ([CLS], a token, [SEP]), got " << options_.max_len);
  DPT_CHECK(options_.test_fraction >= 0 && options_.test_fraction < 1, ConfigError,
            "--test-fraction must be in [0, 1), got " << options_.test_fraction);
}

void TextDatasetBuilder::add(const Document& doc) {
  const size_t first = tokens_.size();
  tokenizer_.encode(doc.text, &tokens_, *doc.file, doc.offset);
  if (tokens_.size() == first) {
    ++empty_;
    return;
  }
  int32_t label = -1;
  if (labelled_) {
    auto [it, fresh] = label_ids_.emplace(doc.label, static_cast<int32_t>(label_names_.size()));
    if (fresh) label_names_.emplace_back(doc.label);
    label = it->second;
  }
  const double hash = document_hash_unit(doc.text);
  Doc d{hash, documents_++, label, first, tokens_.size() - first};
  (hash < options_.test_fraction ? test_ : train_).push_back(d);
}

std::vector<int32_t> TextDatasetBuilder::resolve_classes(EncodedCorpus* out) const {
  std::vector<int64_t> docs(label_names_.size(), 0);
  for (const auto* split : {&train_, &test_}) {
    for (const Doc& d : *split) ++docs[static_cast<size_t>(d.label)];
  }
  std::map<std::string, size_t> found;  // sorted names
  for (size_t i = 0; i < label_names_.size(); ++i) found[label_names_[i]] = i;
  std::vector<std::string> wanted = options_.classes;
  if (wanted.empty()) {
    for (const auto& [name, i] : found) wanted.push_back(name);
  }
  std::vector<int32_t> label_of(label_names_.size(), -1);
  for (const std::string& name : wanted) {
    auto it = found.find(name);
    if (it == found.end()) {
      std::string known;
      for (const auto& [n, i] : found) known += (known.empty() ? "" : ", ") + n;
      DPT_THROW(DataError, "class '" << name << "' of --classes has no documents in the corpus (found: " << known << ")");
    }
    if (docs[it->second] < options_.min_docs) continue;
    label_of[it->second] = static_cast<int32_t>(out->class_names.size());
    out->class_names.push_back(name);
  }
  for (const auto& [name, i] : found) {
    if (label_of[i] < 0) out->dropped_classes.emplace_back(name, docs[i]);
  }
  DPT_CHECK(!out->class_names.empty(), DataError,
            "no class is left (each has fewer than --min-docs " << options_.min_docs << " documents, or none is listed)");
  return label_of;
}

void TextDatasetBuilder::append_sample(const int32_t* ids, size_t count, int32_t label, EncodedSplit* out) const {
  const auto len = static_cast<size_t>(options_.max_len);
  out->input_ids.push_back(cls_);
  out->input_ids.insert(out->input_ids.end(), ids, ids + count);
  out->input_ids.push_back(sep_);
  out->input_ids.resize(out->input_ids.size() + len - count - 2, pad_);
  out->attention_mask.resize(out->attention_mask.size() + count + 2, 1);
  out->attention_mask.resize(out->attention_mask.size() + len - count - 2, 0);
  if (labelled_) out->labels.push_back(label);
  ++out->samples;
}

void TextDatasetBuilder::pack_into(const std::vector<Doc>& docs, EncodedSplit* out) const {
  const auto room = static_cast<size_t>(options_.max_len - 2);
  std::vector<int32_t> piece;
  const auto put = [&](int32_t id) {
    if (piece.empty() && id == sep_) return;  // the previous sample already ended with [SEP]
    piece.push_back(id);
    if (piece.size() == room) {
      append_sample(piece.data(), piece.size(), -1, out);
      piece.clear();
    }
  };
  for (size_t k = 0; k < docs.size(); ++k) {
    if (k > 0) put(sep_);
    for (size_t i = 0; i < docs[k].count; ++i) put(tokens_[docs[k].first + i]);
  }
  if (!piece.empty()) append_sample(piece.data(), piece.size(), -1, out);
}

EncodedSplit TextDatasetBuilder::encode(std::vector<Doc> docs, const std::vector<int32_t>& label_of) const {
  EncodedSplit out;
  if (labelled_) {
    docs.erase(std::remove_if(docs.begin(), docs.end(), [&](const Doc& d) { return label_of[static_cast<size_t>(d.label)] < 0; }),
               docs.end());
  }
  std::sort(docs.begin(), docs.end(), [](const Doc& x, const Doc& y) { return x.hash != y.hash ? x.hash < y.hash : x.index < y.index; });
  for (const Doc& d : docs) {
    out.tokens += static_cast<int64_t>(d.count);
    out.unknown_tokens += std::count(tokens_.begin() + static_cast<long>(d.first),
                                     tokens_.begin() + static_cast<long>(d.first + d.count), unk_);
  }
  out.documents = static_cast<int64_t>(docs.size());
  if (options_.pack && !labelled_) {
    pack_into(docs, &out);
    return out;
  }
  const auto room = static_cast<size_t>(options_.max_len - 2);
  for (const Doc& d : docs) {
    const int32_t label = labelled_ ? label_of[static_cast<size_t>(d.label)] : -1;
    if (labelled_) {
      if (out.class_documents.size() <= static_cast<size_t>(label)) out.class_documents.resize(static_cast<size_t>(label) + 1, 0);
      ++out.class_documents[static_cast<size_t>(label)];
    }
    out.truncated += d.count > room ? 1 : 0;
    append_sample(&tokens_[d.first], std::min(d.count, room), label, &out);
  }
  return out;
}

EncodedCorpus TextDatasetBuilder::finish() {
  EncodedCorpus out;
  out.empty_documents = empty_;
  std::vector<int32_t> label_of;
  if (labelled_) label_of = resolve_classes(&out);
  out.train = encode(std::move(train_), label_of);
  out.test = encode(std::move(test_), label_of);
  for (EncodedSplit* s : {&out.train, &out.test}) s->class_documents.resize(out.class_names.size(), 0);
  return out;
}

}  // namespace dpt::text
