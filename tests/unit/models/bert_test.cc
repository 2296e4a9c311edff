// The bert model (models/bert.h): Hugging Face parameter names, shapes, the padding mask (what
// padding holds changes nothing, for post-LN and pre-LN), and the tied masked-LM decoder.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <set>

#include "common/error.h"
#include "models/bert.h"

namespace dpt::models {
namespace {

constexpr int64_t kVocab = 50, kHidden = 16, kClasses = 3;

config::Config bert_config(const std::string& task, const std::string& norm = "post") {
  config::Config cfg;
  cfg.set("model.type", "bert");
  cfg.set("model.hidden", std::to_string(kHidden));
  cfg.set("model.layers", "2");
  cfg.set("model.heads", "4");
  cfg.set("model.ffn", "32");
  cfg.set("model.max_len", "16");
  cfg.set("model.norm", norm);
  cfg.set("train.task", task);
  cfg.set("train.seed", "3");
  return cfg;
}

std::shared_ptr<Bert> make_bert(const std::string& task, const std::string& norm = "post",
                                const std::string& pooling = "cls") {
  InputSpec input{{8}, task == "mlm" ? 0 : kClasses, kVocab, 0};
  config::Config cfg = bert_config(task, norm);
  cfg.set("model.pooling", pooling);
  auto model = std::dynamic_pointer_cast<Bert>(make_model(cfg, input));
  EXPECT_TRUE(model != nullptr);
  model->eval();  // no dropout
  return model;
}

std::set<std::string> names(torch::nn::Module& m) {
  std::set<std::string> out;
  for (const auto& item : m.named_parameters()) out.insert(item.key());
  return out;
}

// [CLS] 7 8 9 [SEP] then `pad_to - 5` positions of padding holding `filler` (0 = [PAD]).
std::pair<at::Tensor, at::Tensor> sequence(int64_t pad_to, int64_t filler) {
  at::Tensor ids = at::full({1, pad_to}, filler, at::kLong);
  at::Tensor mask = at::zeros({1, pad_to}, at::kLong);
  const int64_t real[] = {1, 7, 8, 9, 2};
  for (int64_t i = 0; i < 5; ++i) {
    ids[0][i] = real[i];
    mask[0][i] = 1;
  }
  return {ids, mask};
}

TEST(Bert, HuggingFaceParameterNames) {
  auto classifier = make_bert("classify");
  const auto c = names(*classifier);
  for (const char* name :
       {"bert.embeddings.word_embeddings.weight", "bert.embeddings.position_embeddings.weight",
        "bert.embeddings.token_type_embeddings.weight", "bert.embeddings.LayerNorm.weight",
        "bert.encoder.layer.0.attention.self.query.weight", "bert.encoder.layer.1.attention.self.value.bias",
        "bert.encoder.layer.1.attention.output.dense.weight", "bert.encoder.layer.0.attention.output.LayerNorm.bias",
        "bert.encoder.layer.1.intermediate.dense.weight", "bert.encoder.layer.1.output.dense.bias",
        "bert.encoder.layer.0.output.LayerNorm.weight", "bert.pooler.dense.weight", "classifier.weight",
        "classifier.bias"}) {
    EXPECT_EQ(c.count(name), 1u) << name;
  }
  EXPECT_EQ(c.size(), 5u + 2 * 16 + 2 + 2);  // embeddings, 16 per layer, pooler, classifier
  EXPECT_EQ(c.count("bert.encoder.LayerNorm.weight"), 0u) << "post-LN has no final LayerNorm";

  auto mlm = make_bert("mlm");
  const auto m = names(*mlm);
  for (const char* name : {"cls.predictions.bias", "cls.predictions.transform.dense.weight",
                           "cls.predictions.transform.LayerNorm.weight"}) {
    EXPECT_EQ(m.count(name), 1u) << name;
  }
  EXPECT_EQ(m.count("classifier.weight") + m.count("bert.pooler.dense.weight"), 0u);
  EXPECT_EQ(m.count("cls.predictions.decoder.weight"), 0u) << "the decoder is the tied word embedding";
  EXPECT_EQ(names(*make_bert("classify", "pre")).count("bert.encoder.LayerNorm.weight"), 1u);
}

TEST(Bert, Shapes) {
  auto model = make_bert("classify");
  const at::Tensor ids = at::randint(3, kVocab, {4, 8}, at::kLong);
  const at::Tensor mask = at::ones({4, 8}, at::kLong);
  EXPECT_EQ(model->encode(ids, mask).sizes(), (at::IntArrayRef{4, 8, kHidden}));
  EXPECT_EQ(model->forward(ids).sizes(), (at::IntArrayRef{4, kClasses}));
  auto mlm = make_bert("mlm");
  EXPECT_EQ(mlm->predict_tokens(mlm->encode(ids, mask).reshape({-1, kHidden})).sizes(),
            (at::IntArrayRef{32, kVocab}));
  EXPECT_THROW(mlm->forward(ids), ConfigError);  // no classifier head
  EXPECT_THROW(model->encode(at::zeros({1, 17}, at::kLong), at::ones({1, 17}, at::kLong)), DataError);  // > max_len
}

TEST(Bert, PaddingChangesNothing) {
  for (const char* variant : {"post/cls", "pre/cls", "post/mean"}) {
    const std::string norm = std::string(variant).substr(0, std::string(variant).find('/'));
    auto model = make_bert("classify", norm, std::string(variant).substr(norm.size() + 1));
    at::NoGradGuard no_grad;
    const auto [short_ids, short_mask] = sequence(6, 0);
    const auto [long_ids, long_mask] = sequence(16, 0);
    const auto [junk_ids, junk_mask] = sequence(16, 42);  // padding that holds real-looking tokens
    const at::Tensor a = model->encode(short_ids, short_mask).narrow(1, 0, 5);
    const at::Tensor b = model->encode(long_ids, long_mask).narrow(1, 0, 5);
    const at::Tensor c = model->encode(junk_ids, junk_mask).narrow(1, 0, 5);
    EXPECT_LT((a - b).abs().max().item<double>(), 1e-5) << variant;
    EXPECT_LT((a - c).abs().max().item<double>(), 1e-5) << variant;
    const at::Tensor logits_short = model->classify(model->encode(short_ids, short_mask), short_mask);
    const at::Tensor logits_junk = model->classify(model->encode(junk_ids, junk_mask), junk_mask);
    EXPECT_LT((logits_short - logits_junk).abs().max().item<double>(), 1e-5) << variant;
    // forward() masks [PAD] positions by their id.
    EXPECT_LT((model->forward(long_ids) - logits_short).abs().max().item<double>(), 1e-5) << variant;
    // The control: the same junk marked as real tokens does change the result.
    const at::Tensor unmasked = model->encode(junk_ids, at::ones({1, 16}, at::kLong)).narrow(1, 0, 5);
    EXPECT_GT((a - unmasked).abs().max().item<double>(), 1e-3) << variant;
    // A row of padding only (evaluation pads batches so) gives finite values, not NaN.
    EXPECT_TRUE(model->forward(at::zeros({1, 8}, at::kLong)).isfinite().all().item<bool>()) << variant;
  }
}

// Each sample's result is its own: the same whether it is computed alone or in a batch (what the
// multi-rank equivalence of tests/mpi/ddp/bert_equivalence_test.cc builds on).
TEST(Bert, SamplesDoNotInteract) {
  auto model = make_bert("classify");
  at::NoGradGuard no_grad;
  const at::Tensor ids = at::randint(3, kVocab, {6, 8}, at::kLong);
  at::Tensor mask = at::ones({6, 8}, at::kLong);
  mask.narrow(1, 5, 3).narrow(0, 0, 3).zero_();
  const at::Tensor whole = model->classify(model->encode(ids, mask), mask);
  for (int64_t i = 0; i < 6; ++i) {
    const at::Tensor one_mask = mask.narrow(0, i, 1);
    const at::Tensor alone = model->classify(model->encode(ids.narrow(0, i, 1), one_mask), one_mask);
    EXPECT_LT((alone[0] - whole[i]).abs().max().item<double>(), 1e-5) << "row " << i;
  }
}

TEST(Bert, MaskedLmDecoderIsTheWordEmbedding) {
  auto model = make_bert("mlm");
  at::NoGradGuard no_grad;
  int64_t vocab_by_hidden = 0;
  for (const auto& p : model->parameters()) vocab_by_hidden += p.sizes() == at::IntArrayRef{kVocab, kHidden};
  EXPECT_EQ(vocab_by_hidden, 1) << "one [vocab, hidden] matrix: embedding and decoder share it";
  const at::Tensor hidden = at::randn({5, kHidden});
  const at::Tensor before = model->predict_tokens(hidden);
  at::Tensor word = model->named_parameters()["bert.embeddings.word_embeddings.weight"];
  word[7] += at::linspace(-1, 1, kHidden);  // move one token's embedding (not uniformly: LayerNorm
                                            // outputs sum to 0, so a constant shift cancels)
  const at::Tensor change = (model->predict_tokens(hidden) - before).abs().amax(0);
  EXPECT_GT(change[7].item<double>(), 1e-3) << "the decoder row of token 7 moved with its embedding";
  EXPECT_EQ((change.narrow(0, 0, 7).sum() + change.narrow(0, 8, kVocab - 8).sum()).item<double>(), 0.0);
}

// model.pooling: cls reads position 0 only; mean reads every real token and no padding.
TEST(Bert, PoolingReadsWhatItSays) {
  at::NoGradGuard no_grad;
  const at::Tensor hidden = at::randn({1, 8, kHidden});
  const at::Tensor mask = at::tensor({1, 1, 1, 1, 1, 0, 0, 0}, at::kLong).view({1, 8});
  at::Tensor token = hidden.clone(), padding = hidden.clone();
  token[0][3] += 1.0;    // a real token other than [CLS]
  padding[0][6] += 1.0;  // a padding position
  auto change = [&](Bert& m, const at::Tensor& h) {
    return (m.classify(h, mask) - m.classify(hidden, mask)).abs().max().item<double>();
  };
  auto cls = make_bert("classify", "post", "cls");
  auto mean = make_bert("classify", "post", "mean");
  EXPECT_EQ(change(*cls, token), 0.0);
  EXPECT_GT(change(*mean, token), 1e-4);
  EXPECT_EQ(change(*cls, padding), 0.0);
  EXPECT_LT(change(*mean, padding), 1e-7);
}

TEST(Bert, ConfigErrors) {
  InputSpec input{{8}, kClasses, kVocab, 0};
  config::Config cfg = bert_config("classify");
  cfg.set("model.hidden", "256,256");
  EXPECT_THROW(make_model(cfg, input), ConfigError);  // a list is for mlp
  cfg = bert_config("classify");
  cfg.set("model.heads", "5");
  EXPECT_THROW(make_model(cfg, input), ConfigError);  // 16 % 5
  EXPECT_THROW(make_model(bert_config("classify"), InputSpec{{8}, kClasses, 0, 0}), ConfigError);  // no vocabulary
  EXPECT_THROW(make_model(bert_config("classify"), InputSpec{{28, 28}, kClasses, kVocab, 0}), ConfigError);
  cfg = bert_config("classify");
  cfg.set("model.max_len", "4");
  EXPECT_THROW(make_model(cfg, input), ConfigError);  // shorter than the data
}

}  // namespace
}  // namespace dpt::models
