// dptrain vocab: builds a WordPiece vocabulary of a requested size from a corpus
// (text::VocabBuilder, Note [WordPiece training]) and writes it as a BERT vocab.txt.
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>

#include "apps/command.h"
#include "apps/prepare_options.h"
#include "common/error.h"
#include "common/progress.h"
#include "common/timer.h"
#include "text/text_dataset.h"
#include "text/vocab.h"
#include "text/vocab_builder.h"

namespace po = boost::program_options;

namespace dpt::apps {
namespace {

int run(const config::ParsedCommand& parsed) {
  require_one_process("vocab");
  const auto& opt = parsed.local;
  for (const char* name : {"input", "out"}) {
    DPT_CHECK(opt.count(name), ConfigError, "dptrain vocab needs --" << name << "; run with --help");
  }
  text::VocabBuildOptions o;
  o.size = opt["size"].as<int64_t>();
  o.basic = basic_options(opt);
  o.min_frequency = opt["min-frequency"].as<int64_t>();
  o.score = text::parse_merge_score(opt["score"].as<std::string>());
  const double skip_test = opt["test-fraction"].as<double>();
  DPT_CHECK(skip_test >= 0 && skip_test < 1, ConfigError, "--test-fraction must be in [0, 1), got " << skip_test);
  const std::string out = opt["out"].as<std::string>();

  text::VocabBuilder builder(o);
  Stopwatch watch;
  int64_t documents = 0, bytes = 0;
  const text::CorpusOptions corpus = corpus_options(opt);
  read_corpus(corpus, "reading", [&](const text::Document& d) {
    if (text::is_test_document(d.text, skip_test)) return;
    builder.add_text(d.text, *d.file, d.offset);
    ++documents;
    bytes += static_cast<int64_t>(d.text.size());
  });
  DPT_CHECK(documents > 0, DataError,
            "the corpus " << corpus.inputs.front() << (corpus.inputs.size() > 1 ? " ..." : "") << " holds no documents"
            << (skip_test > 0 ? " outside the test split of --test-fraction" : "") << "; give a corpus with text");
  Progress progress("vocab", o.size, Progress::Mode::kAuto, 1000);
  const text::VocabBuildResult r = builder.build([&](int64_t tokens, int64_t) { progress.update(tokens, "tokens"); });
  const text::Vocab vocab = text::Vocab::from_tokens(r.tokens, "the built vocabulary");
  vocab.save(out);
  std::printf("wrote %s: %d tokens (5 special, %lld alphabet, %lld merges) from %lld documents, %.1f MB, %lld words "
              "(%lld distinct) in %.1f s\n",
              out.c_str(), vocab.size(), static_cast<long long>(r.alphabet), static_cast<long long>(r.merges),
              static_cast<long long>(documents), static_cast<double>(bytes) / 1e6, static_cast<long long>(r.words),
              static_cast<long long>(r.distinct_words), watch.seconds());
  if (r.alphabet_dropped > 0) {
    std::cout << "note: " << r.alphabet_dropped << " rare characters did not fit and will be [UNK]\n";
  }
  if (!r.size_reached) {
    std::cout << "note: the corpus has no pair of symbols left that occurs --min-frequency " << o.min_frequency
              << " times: the vocabulary has " << vocab.size() << " tokens, not " << o.size
              << "; give more text or lower --min-frequency / --size\n";
  }
  return kExitOk;
}

config::CommandSpec spec() {
  config::CommandSpec s;
  s.name = "vocab";
  s.summary = "build a WordPiece vocabulary (BERT vocab.txt) of a requested size from a text corpus";
  add_corpus_options(&s.local, false);
  s.local.add_options()
      ("out", po::value<std::string>(), "the vocab.txt to write")
      ("size", po::value<int64_t>()->default_value(8000), "tokens in the vocabulary, the 5 special ones included")
      ("min-frequency", po::value<int64_t>()->default_value(2), "never merge a pair of symbols seen fewer times")
      ("score", po::value<std::string>()->default_value("likelihood"),
       "merge score: likelihood (WordPiece: count(ab) / (count(a) count(b))) or frequency (BPE: count(ab))")
      ("test-fraction", po::value<double>()->default_value(0.0, "0"),
       "leave out the documents that 'prepare text --test-fraction' with this value puts in the test split");
  add_tokenizer_options(&s.local);
  return s;
}

}  // namespace

Command vocab_command() { return {spec, run}; }

}  // namespace dpt::apps
