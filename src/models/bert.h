#pragma once
// bert: a BERT-style transformer encoder with one head (docs/text.md, "The bert model").
//
//   ids [B, L] → word + position + segment embeddings → LayerNorm → N encoder layers
//   (multi-head self-attention with a padding mask, GELU feed-forward; post-LN, or pre-LN with
//   a final LayerNorm) → hidden states [B, L, H] → one head:
//     classifier  [CLS] hidden (or the mean over real tokens) → pooler (dense + tanh) → dropout
//                 → Linear → [B, classes]
//     masked LM   dense → GELU → LayerNorm → × word_embeddingsᵀ + bias → [.., vocab]
//                 (the decoder weight IS the word-embedding matrix: tied, not copied)
//
// Parameter names are Hugging Face's (BertForSequenceClassification / BertForMaskedLM):
//   bert.embeddings.{word,position,token_type}_embeddings.weight, bert.embeddings.LayerNorm.*,
//   bert.encoder.layer.<i>.attention.self.{query,key,value}.*,
//   bert.encoder.layer.<i>.attention.output.{dense,LayerNorm}.*,
//   bert.encoder.layer.<i>.intermediate.dense.*, bert.encoder.layer.<i>.output.{dense,LayerNorm}.*,
//   bert.pooler.dense.*, classifier.*  |  cls.predictions.bias,
//   cls.predictions.transform.{dense,LayerNorm}.*
// Hugging Face's cls.predictions.decoder.weight is bert.embeddings.word_embeddings.weight.
// pre-LN adds bert.encoder.LayerNorm.* (Hugging Face's BERT is post-LN only).
#include "models/bert_layers.h"
#include "models/model.h"

namespace dpt::models {

enum class BertHead { kClassifier, kMaskedLm };

struct BertConfig {
  BertSizes sizes;
  BertHead head = BertHead::kClassifier;
  int64_t num_classes = 0;  // classifier head
  int64_t pad_id = 0;       // forward() masks the positions holding this id
  bool mean_pooling = false;  // classifier: pool the mean over real tokens instead of [CLS]
};

class Bert : public Model {
 public:
  explicit Bert(const BertConfig& config);

  // Classifier logits [B, classes] for ids [B, L] (int64), padding = positions holding pad_id.
  at::Tensor forward(const at::Tensor& ids) override;

  // The rows of the word-embedding matrix for ids: [B, L, H]. Attribution methods interpolate
  // these (models/integrated_gradients.h).
  at::Tensor embed_words(const at::Tensor& ids);
  // Hidden states [B, L, H] from word embeddings (embed_words) and the attention mask [B, L]
  // (nonzero = real token, 0 = padding, which no real token attends to).
  at::Tensor encode_words(const at::Tensor& words, const at::Tensor& attention_mask);
  at::Tensor encode(const at::Tensor& ids, const at::Tensor& attention_mask) {
    return encode_words(embed_words(ids), attention_mask);
  }
  // Classifier head on hidden states [B, L, H] and their attention mask [B, L] → [B, classes].
  // It pools position 0 ([CLS]) or, with mean_pooling, the mean over the real tokens (Note
  // [Pooling] in bert.cc).
  at::Tensor classify(const at::Tensor& hidden, const at::Tensor& attention_mask);
  // Masked-LM head on hidden states [..., H] → [..., vocab]. Pass only the positions that
  // need predictions: the vocabulary projection dominates the cost.
  at::Tensor predict_tokens(const at::Tensor& hidden);

  const BertConfig& config() const { return config_; }

 private:
  BertConfig config_;
  BertEmbeddings embeddings_{nullptr};
  std::vector<BertLayer> layers_;
  torch::nn::LayerNorm final_norm_{nullptr};  // pre-LN only
  torch::nn::Linear pooler_{nullptr}, classifier_{nullptr};                          // classifier head
  torch::nn::Linear transform_{nullptr};                                             // masked-LM head
  torch::nn::LayerNorm transform_norm_{nullptr};
  at::Tensor prediction_bias_;
};

}  // namespace dpt::models
