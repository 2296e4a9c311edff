// dptrain tokenize: prints the WordPiece tokens (or ids) of a text, one output line per input
// line, to see what a vocabulary does with a text.
#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "apps/command.h"
#include "apps/prepare_options.h"
#include "common/error.h"
#include "text/tokenizer.h"

namespace po = boost::program_options;

namespace dpt::apps {
namespace {

int run(const config::ParsedCommand& parsed) {
  const auto& opt = parsed.local;
  DPT_CHECK(opt.count("vocab"), ConfigError, "dptrain tokenize needs --vocab; run with --help");
  DPT_CHECK(opt.count("text") + opt.count("file") == 1, ConfigError, "give either --text or --file");
  const text::Vocab vocab = text::Vocab::load(opt["vocab"].as<std::string>());
  text::Tokenizer tokenizer(vocab, {basic_options(opt)});
  const bool ids_only = opt.count("ids") > 0;
  std::string input, source = "--text";
  if (opt.count("text")) {
    input = opt["text"].as<std::string>();
  } else {
    source = opt["file"].as<std::string>();
    std::ifstream file(source, std::ios::binary);
    DPT_CHECK(file.good(), DataError, "cannot read '" << source << "'");
    std::ostringstream buffer;
    buffer << file.rdbuf();
    input = buffer.str();
    if (!input.empty() && input.back() == '\n') input.pop_back();
  }
  std::vector<int32_t> ids;
  std::string out;
  size_t begin = 0;
  do {
    size_t end = input.find('\n', begin);
    if (end == std::string::npos) end = input.size();
    ids.clear();
    tokenizer.encode(std::string_view(input).substr(begin, end - begin), &ids, source, static_cast<int64_t>(begin));
    for (size_t i = 0; i < ids.size(); ++i) {
      if (i > 0) out += ' ';
      out += ids_only ? std::to_string(ids[i]) : vocab.token(ids[i]);
    }
    out += '\n';
    begin = end + 1;
  } while (begin <= input.size());
  std::cout << out;
  return kExitOk;
}

config::CommandSpec spec() {
  config::CommandSpec s;
  s.name = "tokenize";
  s.summary = "print the WordPiece tokens (or ids) of a text with a vocabulary, line by line";
  s.local.add_options()
      ("vocab", po::value<std::string>(), "WordPiece vocab.txt")
      ("text", po::value<std::string>(), "the text")
      ("file", po::value<std::string>(), "or a UTF-8 file: each line is tokenized on its own")
      ("ids", "print token ids instead of tokens");
  add_tokenizer_options(&s.local);
  return s;
}

}  // namespace

Command tokenize_command() { return {spec, run}; }

}  // namespace dpt::apps
