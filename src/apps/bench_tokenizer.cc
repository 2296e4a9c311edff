// dptrain bench tokenizer: the tokenizer's throughput on one core, next to two baselines over
// the same documents in the same run: memchr() for '\n' (a plain byte scan, the speed of
// touching the bytes at all) and strict UTF-8 validation (decoding every character, which
// any tokenizer must do). Also the basic tokenization alone (text -> words, no WordPiece).
// Rounds rotate the order of the methods so that machine noise hits all alike; figures are
// medians over rounds, ratios medians of the per-round ratios. MB/s is given per wall-clock
// second and per second of this thread's CPU time: on a shared machine whose cores are busy
// with other work the second is the per-core speed, the first what this run got.
#include <time.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "apps/command.h"
#include "apps/prepare_options.h"
#include "common/error.h"
#include "common/stats.h"
#include "common/timer.h"
#include "text/corpus.h"
#include "text/tokenizer.h"
#include "text/utf8.h"

namespace po = boost::program_options;

namespace dpt::apps {
namespace {

constexpr int kMethods = 4;
const char* const kMethodNames[kMethods] = {"memchr scan (baseline)", "UTF-8 validation", "basic tokenization",
                                            "tokenizer (basic + WordPiece)"};

double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Runs method m over every document; returns a count that keeps the work from being optimized away.
int64_t run_method(int m, const std::vector<std::string>& docs, text::Tokenizer& tokenizer,
                   text::BasicTokenizer& basic, int64_t* tokens) {
  int64_t sink = 0;
  std::vector<int32_t> ids;
  text::Words words;
  for (const std::string& d : docs) {
    if (m == 0) {
      for (const char* p = d.data(); (p = static_cast<const char*>(std::memchr(p, '\n', d.data() + d.size() - p)));
           ++p) {
        ++sink;
      }
    } else if (m == 1) {
      sink += static_cast<int64_t>(text::find_invalid_utf8(d) == std::string_view::npos);
    } else if (m == 2) {
      basic.split(d, &words);
      sink += static_cast<int64_t>(words.size());
    } else {
      ids.clear();
      tokenizer.encode(d, &ids);
      sink += static_cast<int64_t>(ids.size());
    }
  }
  if (m == 3) *tokens = sink;
  return sink;
}

int run(const config::ParsedCommand& parsed) {
  require_one_process("bench tokenizer");
  const auto& opt = parsed.local;
  for (const char* name : {"input", "vocab"}) {
    DPT_CHECK(opt.count(name), ConfigError, "dptrain bench tokenizer needs --" << name << "; run with --help");
  }
  const int rounds = opt["rounds"].as<int>();
  DPT_CHECK(rounds >= 1, ConfigError, "--rounds must be >= 1");
  const text::Vocab vocab = text::Vocab::load(opt["vocab"].as<std::string>());
  const text::BasicOptions basic_opt = basic_options(opt);
  text::Tokenizer tokenizer(vocab, {basic_opt});
  text::BasicTokenizer basic(basic_opt);
  std::vector<std::string> docs;
  int64_t bytes = 0;
  text::for_each_document(corpus_options(opt), [&](const text::Document& d) {
    docs.emplace_back(d.text);
    bytes += static_cast<int64_t>(d.text.size());
  });
  int64_t tokens = 0, sink = 0;
  for (int m = 0; m < kMethods; ++m) sink += run_method(m, docs, tokenizer, basic, &tokens);  // warm-up
  std::vector<std::vector<double>> mb_s(kMethods), cpu_mb_s(kMethods);
  std::vector<double> ratio;
  for (int r = 0; r < rounds; ++r) {
    double seconds[kMethods] = {};
    for (int k = 0; k < kMethods; ++k) {
      const int m = (k + r) % kMethods;
      Stopwatch watch;
      const double cpu0 = thread_cpu_seconds();
      sink += run_method(m, docs, tokenizer, basic, &tokens);
      const double cpu = thread_cpu_seconds() - cpu0;
      seconds[m] = watch.seconds();
      mb_s[static_cast<size_t>(m)].push_back(static_cast<double>(bytes) / seconds[m] / 1e6);
      cpu_mb_s[static_cast<size_t>(m)].push_back(static_cast<double>(bytes) / std::max(cpu, 1e-9) / 1e6);
    }
    ratio.push_back(seconds[0] / seconds[3]);
  }
  std::printf("tokenizer throughput, one core: %zu documents, %.2f MB of text, %lld tokens (%.2f bytes/token), "
              "vocab %d tokens; median of %d rounds (checksum %lld)\n\n",
              docs.size(), static_cast<double>(bytes) / 1e6, static_cast<long long>(tokens),
              static_cast<double>(bytes) / static_cast<double>(std::max<int64_t>(tokens, 1)), vocab.size(), rounds,
              static_cast<long long>(sink));
  std::printf("| method | MB/s wall (median) | min | max | MB/s of CPU time (median) |\n|---|---|---|---|---|\n");
  for (int m = 0; m < kMethods; ++m) {
    const auto& v = mb_s[static_cast<size_t>(m)];
    std::printf("| %s | %.1f | %.1f | %.1f | %.1f |\n", kMethodNames[m], median(v), *std::min_element(v.begin(), v.end()),
                *std::max_element(v.begin(), v.end()), median(cpu_mb_s[static_cast<size_t>(m)]));
  }
  const double tok_s = static_cast<double>(tokens) * median(mb_s[3]) * 1e6 / static_cast<double>(bytes);
  std::printf("\ntokenizer: %.1f MB/s wall, %.1f MB/s of CPU time, %.2f M tokens/s wall; tokenizer / memchr speed: "
              "%.4f (median of per-round ratios)\n",
              median(mb_s[3]), median(cpu_mb_s[3]), tok_s / 1e6, median(ratio));
  return kExitOk;
}

config::CommandSpec spec() {
  config::CommandSpec s;
  s.name = "bench tokenizer";
  s.summary = "tokenizer MB/s on one core next to a memchr scan and UTF-8 validation of the same text";
  add_corpus_options(&s.local, false);
  s.local.add_options()
      ("vocab", po::value<std::string>(), "WordPiece vocab.txt")
      ("rounds", po::value<int>()->default_value(9), "measured rounds (after one warm-up)");
  add_tokenizer_options(&s.local);
  return s;
}

}  // namespace

Command bench_tokenizer_command() { return {spec, run}; }

}  // namespace dpt::apps
