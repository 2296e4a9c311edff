// dptrain explain --checkpoint F (--text "..." | --input FILE): a bert classifier's prediction
// for a text, with per-token attributions by integrated gradients (models/integrated_gradients.h).
// The text is tokenized as the checkpoint's training split was: the vocabulary and the
// lower-casing/accent settings come from that split's manifest (or --vocab); a vocabulary whose
// hash is not the one the split records is refused (Note [Vocabulary identity], data/manifest.h).
#include <boost/program_options.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "apps/checkpoint_model.h"
#include "apps/command.h"
#include "apps/prepare_options.h"
#include "common/error.h"
#include "data/json.h"
#include "data/manifest.h"
#include "models/bert.h"
#include "models/integrated_gradients.h"
#include "text/tokenizer.h"

namespace po = boost::program_options;

namespace dpt::apps {
namespace {

struct Explained {
  std::string text;
  std::vector<std::string> tokens;
  models::Attributions attributions;
};

std::vector<std::string> texts_of(const po::variables_map& opt) {
  DPT_CHECK(opt.count("text") + opt.count("input") == 1, ConfigError,
            "dptrain explain needs one of --text \"...\" or --input FILE (one text per line)");
  if (opt.count("text")) return {opt["text"].as<std::string>()};
  const std::string path = opt["input"].as<std::string>();
  std::ifstream in(path);
  DPT_CHECK(in.good(), ConfigError, "--input " << path << ": cannot read it");
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  DPT_CHECK(!out.empty(), ConfigError, "--input " << path << " holds no text");
  return out;
}

Explained explain(models::Bert& model, text::Tokenizer& tokenizer, const std::string& text, int64_t steps) {
  const text::SpecialIds& special = tokenizer.vocab().special();
  DPT_CHECK(special.cls >= 0 && special.sep >= 0, DataError,
            "the vocabulary " << tokenizer.vocab().path() << " lacks [CLS] or [SEP]");
  std::vector<int32_t> pieces;
  tokenizer.encode(text, &pieces, "--text");
  const size_t room = static_cast<size_t>(model.config().sizes.max_len - 2);
  if (pieces.size() > room) pieces.resize(room);  // truncated as prepare text truncates
  std::vector<int64_t> ids = {special.cls};
  ids.insert(ids.end(), pieces.begin(), pieces.end());
  ids.push_back(special.sep);
  Explained out;
  out.text = text;
  for (int64_t id : ids) out.tokens.push_back(tokenizer.vocab().token(static_cast<int32_t>(id)));
  const at::Tensor tensor = at::tensor(ids, at::kLong).unsqueeze(0);
  out.attributions = models::integrated_gradients(model, tensor, at::ones_like(tensor), -1, steps);
  return out;
}

std::string class_name(const std::vector<std::string>& names, int64_t c) {
  return c < static_cast<int64_t>(names.size()) ? names[static_cast<size_t>(c)] : "class " + std::to_string(c);
}

void print_table(const Explained& e, const std::vector<std::string>& names) {
  const auto& a = e.attributions;
  double sum = 0;
  for (double v : a.per_token) sum += v;
  std::printf("text: %s\npredicted: %s (probability %.4f)\n", e.text.c_str(), class_name(names, a.target).c_str(),
              a.probabilities[static_cast<size_t>(a.target)]);
  std::printf("%-5s %-20s %12s\n", "pos", "token", "attribution");
  for (size_t i = 0; i < e.tokens.size(); ++i) {
    std::printf("%-5zu %-20s %12.5f\n", i, e.tokens[i].c_str(), a.per_token[i]);
  }
  std::printf("sum of attributions %.5f; logit %.5f - baseline logit %.5f = %.5f\n\n", sum, a.logit,
              a.baseline_logit, a.logit - a.baseline_logit);
}

data::Json to_json(const Explained& e, const std::vector<std::string>& names) {
  const auto& a = e.attributions;
  data::Json tokens = data::Json::array(), probabilities = data::Json::object();
  for (size_t i = 0; i < e.tokens.size(); ++i) {
    data::Json t = data::Json::object();
    t.set("token", e.tokens[i]);
    t.set("attribution", a.per_token[i]);
    tokens.push_back(t);
  }
  for (size_t c = 0; c < a.probabilities.size(); ++c) {
    probabilities.set(class_name(names, static_cast<int64_t>(c)), a.probabilities[c]);
  }
  data::Json out = data::Json::object();
  out.set("text", e.text);
  out.set("predicted", class_name(names, a.target));
  out.set("probability", a.probabilities[static_cast<size_t>(a.target)]);
  out.set("probabilities", probabilities);
  out.set("tokens", tokens);
  out.set("logit", a.logit);
  out.set("baseline_logit", a.baseline_logit);
  return out;
}

int run(const config::ParsedCommand& parsed) {
  const auto& opt = parsed.local;
  DPT_CHECK(opt.count("checkpoint"), ConfigError, "usage: dptrain explain --checkpoint F --text \"...\" | --input FILE");
  require_one_process("explain");
  const std::vector<std::string> texts = texts_of(opt);
  CheckpointModel loaded = load_checkpoint_model(opt["checkpoint"].as<std::string>());
  auto* bert = dynamic_cast<models::Bert*>(loaded.model.get());
  DPT_CHECK(bert != nullptr && loaded.config.get_string("train.task") == "classify", ConfigError,
            "dptrain explain explains a bert classifier; " << opt["checkpoint"].as<std::string>() << " holds a "
            << loaded.info.model_type << " model trained with train.task=" << loaded.config.get_string("train.task"));
  const data::Manifest manifest = data::read_manifest(loaded.config.get_string("data.train"));
  DPT_CHECK(manifest.text.has_value() || opt.count("vocab"), DataError,
            "the checkpoint's training split " << loaded.config.get_string("data.train")
            << " records no vocabulary; pass --vocab");
  const bool given = opt.count("vocab") > 0;
  const text::Vocab vocab = text::Vocab::load(given ? opt["vocab"].as<std::string>() : manifest.text->vocab_path);
  if (manifest.text) {  // Note [Vocabulary identity] in data/manifest.h
    data::check_same_vocab(*manifest.text, loaded.config.get_string("data.train"),
                           given ? "--vocab is" : "the vocabulary file is now", vocab.path(), vocab.hash(),
                           given ? "Pass the vocabulary the split was prepared with, or leave out --vocab."
                                 : "The file changed after 'dptrain prepare text' wrote the split: restore it, or "
                                   "pass the original with --vocab.");
  }
  DPT_CHECK(vocab.size() == bert->config().sizes.vocab_size, ConfigError,
            "the vocabulary " << vocab.path() << " has " << vocab.size() << " tokens, the model "
            << bert->config().sizes.vocab_size << "; pass the vocabulary it was trained with (--vocab)");
  text::TokenizerOptions options;
  if (manifest.text) {
    options.basic.lower_case = manifest.text->lower_case;
    options.basic.strip_accents = manifest.text->strip_accents;
  }
  text::Tokenizer tokenizer(vocab, options);
  bert->eval();
  const int64_t steps = opt["steps"].as<int64_t>();
  data::Json all = data::Json::array();
  for (const auto& text : texts) {
    const Explained e = explain(*bert, tokenizer, text, steps);
    if (opt["json"].as<bool>()) all.push_back(to_json(e, manifest.class_names));
    else print_table(e, manifest.class_names);
  }
  if (opt["json"].as<bool>()) std::cout << all.dump() << "\n";
  return kExitOk;
}

config::CommandSpec spec() {
  config::CommandSpec s;
  s.name = "explain";
  s.summary = "a bert classifier's prediction for a text, with per-token integrated-gradients attributions";
  s.local.add_options()
      ("checkpoint", po::value<std::string>(), "checkpoint of a bert classifier (step_N.h5)")
      ("text", po::value<std::string>(), "the text to classify and explain")
      ("input", po::value<std::string>(), "a file of texts, one per line")
      ("steps", po::value<int64_t>()->default_value(50), "integration steps (more: attributions sum closer to the "
                                                          "logit difference)")
      ("json", po::value<bool>()->default_value(false)->implicit_value(true), "print JSON instead of tables")
      ("vocab", po::value<std::string>(), "vocabulary; default: the one the checkpoint's training split records");
  return s;
}

}  // namespace

Command explain_command() { return {spec, run}; }

}  // namespace dpt::apps
