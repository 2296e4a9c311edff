#pragma once
// Documents -> fixed-length token sequences for `dptrain prepare text` (the columns of the
// shard format in docs/text.md; writing them is data/prepare.h's job).
//
// Note [Text splits and order]
// A document goes to the test split when hash(text) < test_fraction, hash = FNV-1a 64 of the
// document's bytes (as read: trimmed of surrounding whitespace) through the splitmix64
// finalizer, scaled to [0, 1). The split depends on nothing but the text: adding files,
// reordering them, relabelling or re-running never moves a document to the other split, and
// the same text is in the same split of every corpus (so an unlabeled pre-training corpus and a
// labelled fine-tuning corpus prepared with the same fraction share their test documents).
// Inside a split documents are ordered by that hash too (ties by input order): categories and
// files come interleaved, so the loader's block shuffle (data.shuffle_block) sees mixed blocks.
//
// Note [Packing]
// Unlabeled text for pre-training is packed: the split's documents in order, joined by [SEP],
// form one token stream, cut into pieces of max_len - 2 tokens; each sample is
// [CLS] piece [SEP] (a piece's leading [SEP] is dropped: the previous sample ended with one).
// Only the last sample has padding. Labelled text gives one sample per document:
// [CLS] tokens [SEP], the tokens truncated to max_len - 2, then [PAD] up to max_len.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "text/corpus.h"
#include "text/tokenizer.h"

namespace dpt::text {

// True when the document `text` belongs to the test split (Note [Text splits and order]).
bool is_test_document(std::string_view text, double test_fraction);
// The hash behind it, in [0, 1).
double document_hash_unit(std::string_view text);

struct SequenceOptions {
  int64_t max_len = 128;     // tokens per sample, [CLS] and [SEP] included (>= 3)
  bool pack = false;         // Note [Packing]; labelled data is never packed
  double test_fraction = 0.1;
  std::vector<std::string> classes;  // labelled: keep these classes, in this order (empty = all found)
  int64_t min_docs = 1;      // labelled: drop classes with fewer documents (both splits together)
};

// The columns of one split, row-major [samples, max_len].
struct EncodedSplit {
  int64_t samples = 0;
  std::vector<int32_t> input_ids;
  std::vector<uint8_t> attention_mask;  // 1 = real token, 0 = padding
  std::vector<int32_t> labels;          // one per sample when labelled, else empty
  int64_t documents = 0, tokens = 0, unknown_tokens = 0, truncated = 0;
  std::vector<int64_t> class_documents;  // labelled: documents per class
};

struct EncodedCorpus {
  EncodedSplit train, test;
  std::vector<std::string> class_names;  // labelled: label id -> name
  std::vector<std::pair<std::string, int64_t>> dropped_classes;  // name, documents
  int64_t empty_documents = 0;  // documents without a single token (e.g. only control characters)
};

class TextDatasetBuilder {
 public:
  // `tokenizer` must outlive the builder; its vocabulary needs [CLS], [SEP] and [PAD].
  TextDatasetBuilder(Tokenizer& tokenizer, SequenceOptions options, bool labelled);

  // Tokenizes `doc` and files it under its split (and its label when labelled).
  void add(const Document& doc);

  // Orders, packs or truncates and pads (Notes above). Throws DataError when a split that
  // has documents ends up empty of classes, or when --classes names a class not found.
  EncodedCorpus finish();

 private:
  struct Doc {
    double hash;
    int64_t index;
    int32_t label;  // index into label_names_, -1 unlabelled
    size_t first, count;  // tokens_[first, first + count)
  };

  EncodedSplit encode(std::vector<Doc> docs, const std::vector<int32_t>& label_of) const;
  void pack_into(const std::vector<Doc>& docs, EncodedSplit* out) const;
  void append_sample(const int32_t* ids, size_t count, int32_t label, EncodedSplit* out) const;
  std::vector<int32_t> resolve_classes(EncodedCorpus* out) const;

  Tokenizer& tokenizer_;
  SequenceOptions options_;
  bool labelled_;
  int32_t cls_, sep_, pad_, unk_;
  std::vector<int32_t> tokens_;
  std::vector<Doc> train_, test_;
  std::vector<std::string> label_names_;
  int64_t documents_ = 0, empty_ = 0;
};

}  // namespace dpt::text
