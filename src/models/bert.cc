#include "models/bert.h"

#include <ATen/ATen.h>
#include <torch/nn/modules/container/modulelist.h>

#include "common/error.h"

namespace dpt::models {

Bert::Bert(const BertConfig& config) : config_(config) {
  const BertSizes& s = config.sizes;
  DPT_CHECK(s.vocab_size > 0 && s.hidden > 0 && s.layers > 0 && s.heads > 0 && s.ffn > 0 && s.max_len > 0,
            ConfigError, "model.type=bert needs positive sizes (vocab " << s.vocab_size << ", hidden " << s.hidden
            << ", layers " << s.layers << ", heads " << s.heads << ", ffn " << s.ffn << ", max_len " << s.max_len << ")");
  DPT_CHECK(s.hidden % s.heads == 0, ConfigError,
            "model.hidden=" << s.hidden << " is not a multiple of model.heads=" << s.heads
            << "; each attention head gets hidden/heads dimensions");
  DPT_CHECK(config.pad_id >= 0 && config.pad_id < s.vocab_size, ConfigError,
            "the [PAD] id " << config.pad_id << " lies outside the vocabulary of " << s.vocab_size);
  auto bert = register_module("bert", std::make_shared<torch::nn::Module>());
  embeddings_ = bert->register_module("embeddings", BertEmbeddings(s));
  auto encoder = bert->register_module("encoder", std::make_shared<torch::nn::Module>());
  auto list = encoder->register_module("layer", torch::nn::ModuleList());
  for (int64_t i = 0; i < s.layers; ++i) {
    layers_.push_back(BertLayer(s));
    list->push_back(layers_.back());
  }
  if (s.pre_norm) final_norm_ = bert_layer_norm(*encoder, "LayerNorm", s);

  if (config.head == BertHead::kClassifier) {
    DPT_CHECK(config.num_classes > 1, ConfigError,
              "the dataset declares " << config.num_classes << " classes; a classifier needs at least 2");
    auto pooler = bert->register_module("pooler", std::make_shared<torch::nn::Module>());
    pooler_ = bert_linear(*pooler, "dense", s.hidden, s.hidden);
    classifier_ = bert_linear(*this, "classifier", s.hidden, config.num_classes);
  } else {
    auto predictions = register_module("cls", std::make_shared<torch::nn::Module>())
                           ->register_module("predictions", std::make_shared<torch::nn::Module>());
    prediction_bias_ = predictions->register_parameter("bias", at::zeros({s.vocab_size}));
    auto transform = predictions->register_module("transform", std::make_shared<torch::nn::Module>());
    transform_ = bert_linear(*transform, "dense", s.hidden, s.hidden);
    transform_norm_ = bert_layer_norm(*transform, "LayerNorm", s);
  }
}

at::Tensor Bert::embed_words(const at::Tensor& ids) { return embeddings_->word_embeddings()->forward(ids); }

at::Tensor Bert::encode_words(const at::Tensor& words, const at::Tensor& attention_mask) {
  DPT_CHECK(words.size(1) <= config_.sizes.max_len, DataError,
            "sequences of " << words.size(1) << " tokens are longer than model.max_len=" << config_.sizes.max_len);
  const at::Tensor key_padding = attention_mask.eq(0).view({words.size(0), 1, 1, words.size(1)});
  at::Tensor h = embeddings_->forward(words);
  for (auto& layer : layers_) h = layer->forward(h, key_padding);
  return final_norm_ ? final_norm_->forward(h) : h;
}

// Note [Pooling]
// BERT's classifier reads the [CLS] position, which BERT's next-sentence objective trains.
// Masked-LM pre-training alone (ours) never asks anything of [CLS]: its hidden state carries
// little of the sequence until fine-tuning teaches attention to route it there. The mean over
// the real tokens (model.pooling = mean) reads what masked LM did train, every token's
// contextual vector, so a pre-trained encoder is useful from the first fine-tuning step
// (benchmarks/results/text-pipeline.md compares the two). Padding rows (all-zero masks, from
// evaluation padding) divide by 1, not 0.
at::Tensor Bert::classify(const at::Tensor& hidden, const at::Tensor& attention_mask) {
  DPT_CHECK(classifier_, ConfigError, "this bert model has the masked-LM head, not a classifier (train.task=mlm)");
  at::Tensor summary;
  if (config_.mean_pooling) {
    const at::Tensor weight = attention_mask.ne(0).to(hidden.scalar_type()).unsqueeze(-1);  // [B, L, 1]
    summary = (hidden * weight).sum(1) / weight.sum(1).clamp_min(1);
  } else {
    summary = hidden.select(1, 0);
  }
  const at::Tensor pooled = at::tanh(pooler_->forward(summary));
  return classifier_->forward(at::dropout(pooled, config_.sizes.dropout, is_training()));
}

at::Tensor Bert::predict_tokens(const at::Tensor& hidden) {
  DPT_CHECK(transform_, ConfigError, "this bert model has a classifier head, not the masked-LM head (train.task=classify)");
  const at::Tensor h = transform_norm_->forward(at::gelu(transform_->forward(hidden)));
  // Tied decoder (Note in bert.h): logits = h · Eᵀ + b with E the word-embedding matrix.
  return at::matmul(h, embeddings_->word_embeddings()->weight.t()) + prediction_bias_;
}

at::Tensor Bert::forward(const at::Tensor& ids) {
  const at::Tensor mask = ids.ne(config_.pad_id);
  return classify(encode(ids, mask), mask);
}

}  // namespace dpt::models
