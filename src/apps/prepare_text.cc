// dptrain prepare text: a corpus of text files -> tokenized train/test splits in the sharded
// HDF5 format (docs/text.md). The tokenizing and sequence building is text::TextDatasetBuilder;
// this file maps the command line onto it and writes the splits with data::write_split.
#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "apps/command.h"
#include "apps/prepare_options.h"
#include "common/error.h"
#include "common/timer.h"
#include "data/prepare.h"
#include "text/text_dataset.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace dpt::apps {
namespace {

data::TextInfo text_info(const text::Tokenizer& tokenizer, const text::SequenceOptions& seq, bool packed) {
  const text::Vocab& v = tokenizer.vocab();
  data::TextInfo t;
  t.vocab_path = v.path();
  t.vocab_hash = v.hash();
  t.vocab_size = v.size();
  t.lower_case = tokenizer.options().basic.lower_case;
  t.strip_accents = tokenizer.options().basic.strip_accents;
  t.max_len = seq.max_len;
  t.packed = packed;
  t.pad_id = v.special().pad;
  t.unk_id = v.special().unk;
  t.cls_id = v.special().cls;
  t.sep_id = v.special().sep;
  t.mask_id = v.special().mask;
  return t;
}

data::Manifest write_text_split(const text::EncodedSplit& split, const text::EncodedCorpus& corpus,
                                const data::TextInfo& info, const std::string& source, const std::string& out,
                                const data::SplitWriteOptions& write) {
  data::SplitSource s;
  s.fields = {{"input_ids", data::DType::kInt32, {info.max_len}, data::FieldRole::kValue},
              {"attention_mask", data::DType::kUInt8, {info.max_len}, data::FieldRole::kValue}};
  s.columns = {reinterpret_cast<const uint8_t*>(split.input_ids.data()), split.attention_mask.data()};
  if (!corpus.class_names.empty()) {
    data::FieldSpec label{"label", data::DType::kInt32, {}, data::FieldRole::kLabel};
    label.num_classes = static_cast<int64_t>(corpus.class_names.size());
    s.fields.push_back(label);
    s.columns.push_back(reinterpret_cast<const uint8_t*>(split.labels.data()));
    s.class_names = corpus.class_names;
  }
  s.samples = split.samples;
  s.source = source;
  s.text = info;
  return data::write_split(s, out, write);
}

std::string percent(int64_t part, int64_t whole) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f%%", whole > 0 ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0);
  return text;
}

void report_dropped(const text::EncodedCorpus& corpus) {
  if (!corpus.dropped_classes.empty()) {
    std::cout << "  dropped " << corpus.dropped_classes.size() << " label(s) not in --classes or under --min-docs:";
    for (const auto& [name, docs] : corpus.dropped_classes) std::cout << " " << name << " (" << docs << ")";
    std::cout << "\n";
  }
  if (corpus.empty_documents > 0) std::cout << "  skipped " << corpus.empty_documents << " documents without tokens\n";
}

void report(const std::string& name, const text::EncodedSplit& s, const text::EncodedCorpus& corpus) {
  std::cout << "  " << name << ": " << s.samples << " samples from " << s.documents << " documents, " << s.tokens
            << " tokens (" << percent(s.unknown_tokens, s.tokens) << " [UNK])";
  if (s.truncated > 0) std::cout << ", " << s.truncated << " documents truncated to --max-len";
  std::cout << "\n";
  for (size_t c = 0; c < corpus.class_names.size(); ++c) {
    std::cout << "    " << c << " " << corpus.class_names[c] << ": " << s.class_documents[c] << "\n";
  }
}

text::SequenceOptions sequence_options(const po::variables_map& opt, bool labelled) {
  text::SequenceOptions seq;
  seq.max_len = opt["max-len"].as<int64_t>();
  seq.test_fraction = opt["test-fraction"].as<double>();
  if (opt.count("classes")) seq.classes = split_commas(opt["classes"].as<std::string>());
  seq.min_docs = opt["min-docs"].as<int64_t>();
  const std::string pack = opt["pack"].as<std::string>();
  DPT_CHECK(pack == "auto" || pack == "true" || pack == "false", ConfigError, "--pack must be auto, true or false");
  DPT_CHECK(!(labelled && pack == "true"), ConfigError,
            "--pack true is for unlabeled text; labelled documents are one sample each");
  DPT_CHECK(labelled || (seq.classes.empty() && seq.min_docs == 1), ConfigError, "--classes and --min-docs need --labels");
  seq.pack = !labelled && pack != "false";
  return seq;
}

std::string describe_source(const po::variables_map& opt, const text::CorpusOptions& corpus, double test_fraction) {
  std::string source = "text corpus";
  for (const auto& i : corpus.inputs) source += " " + i;
  return source + " (format " + opt["format"].as<std::string>() + ", labels " + opt["labels"].as<std::string>() +
         ", test fraction " + std::to_string(test_fraction) + " by document hash)";
}

int run(const config::ParsedCommand& parsed) {
  require_one_process("prepare text");
  const auto& opt = parsed.local;
  for (const char* name : {"input", "vocab", "out"}) {
    DPT_CHECK(opt.count(name), ConfigError, "dptrain prepare text needs --" << name << "; run with --help");
  }
  const text::CorpusOptions corpus_opt = corpus_options(opt);
  const bool labelled = corpus_opt.labels != text::LabelSource::kNone;
  const text::SequenceOptions seq = sequence_options(opt, labelled);
  const std::string out = opt["out"].as<std::string>();
  const data::SplitWriteOptions write = split_write_options(opt, "dptrain prepare text");
  const std::string names[] = {"train", "test"};
  for (const auto& name : names) {  // fail before the (slow) tokenizing
    DPT_CHECK(write.overwrite || !fs::exists(out + "/" + name), DataError,
              "output '" << out << "/" << name << "' already exists; pass --overwrite to replace it or choose another --out");
  }

  const text::Vocab vocab = text::Vocab::load(opt["vocab"].as<std::string>());
  text::Tokenizer tokenizer(vocab, {basic_options(opt)});
  text::TextDatasetBuilder builder(tokenizer, seq, labelled);
  Stopwatch watch;
  int64_t bytes = 0;
  read_corpus(corpus_opt, "tokenizing", [&](const text::Document& d) {
    builder.add(d);
    bytes += static_cast<int64_t>(d.text.size());
  });
  const text::EncodedCorpus corpus = builder.finish();
  std::printf("tokenized %.1f MB in %.2f s\n", static_cast<double>(bytes) / 1e6, watch.seconds());

  const std::string source = describe_source(opt, corpus_opt, seq.test_fraction);
  const data::TextInfo info = text_info(tokenizer, seq, seq.pack);
  const text::EncodedSplit* splits[] = {&corpus.train, &corpus.test};
  const int split_count = seq.test_fraction > 0 ? 2 : 1;
  for (int i = 0; i < split_count; ++i) {  // both checked before either is written: no half output
    DPT_CHECK(splits[i]->samples > 0, DataError,
              "the " << names[i] << " split got no documents from the " << source << "; "
                     << (i ? "raise --test-fraction or give more text" : "lower --test-fraction or give more text"));
  }
  std::cout << "wrote " << out << " (max_len " << seq.max_len << (seq.pack ? ", packed" : "") << ", vocab "
            << vocab.size() << " tokens):\n";
  for (int i = 0; i < split_count; ++i) {
    write_text_split(*splits[i], corpus, info, source + ", " + names[i] + " split", out + "/" + names[i], write);
    report(names[i], *splits[i], corpus);
  }
  report_dropped(corpus);
  std::cout << "check with 'dptrain inspect " << out << "/train'\n";
  return kExitOk;
}

config::CommandSpec spec() {
  config::CommandSpec s;
  s.name = "prepare text";
  s.summary = "tokenize a text corpus (files, fortune files, TSV) into train/test HDF5 splits for bert";
  add_corpus_options(&s.local, true);
  s.local.add_options()
      ("vocab", po::value<std::string>(), "WordPiece vocab.txt (BERT's, or from 'dptrain vocab')")
      ("out", po::value<std::string>(), "output directory: writes <out>/train and <out>/test")
      ("max-len", po::value<int64_t>()->default_value(128), "tokens per sample, [CLS] and [SEP] included")
      ("pack", po::value<std::string>()->default_value("auto"),
       "pack documents into full sequences: auto (= when unlabeled), true, false")
      ("test-fraction", po::value<double>()->default_value(0.1, "0.1"),
       "share of documents in the test split, chosen by a hash of the text (stable); 0 = no test split")
      ("classes", po::value<std::string>(), "keep only these labels, comma-separated, in label-id order")
      ("min-docs", po::value<int64_t>()->default_value(1), "drop labels with fewer documents");
  add_tokenizer_options(&s.local);
  add_split_write_options(&s.local);
  return s;
}

}  // namespace

Command prepare_text_command() { return {spec, run}; }

}  // namespace dpt::apps
