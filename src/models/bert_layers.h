#pragma once
// The building blocks of the bert model (models/bert.h): the embedding layer and one encoder
// layer. Submodules are registered under the names of Hugging Face's BertModel, so that
// named_parameters() reads "embeddings.word_embeddings.weight",
// "encoder.layer.0.attention.self.query.weight", ... below the "bert" prefix Bert adds.
#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

namespace dpt::models {

struct BertSizes {
  int64_t vocab_size = 0;
  int64_t hidden = 128;
  int64_t layers = 2;
  int64_t heads = 4;
  int64_t ffn = 512;       // feed-forward width ("intermediate_size")
  int64_t max_len = 128;   // positions ("max_position_embeddings")
  int64_t type_vocab = 2;  // segments ("type_vocab_size"); every token is segment 0 here
  bool pre_norm = false;   // false: post-LN as in BERT; true: pre-LN (+ a final LayerNorm)
  double dropout = 0.1;    // hidden and attention-probability dropout
  double layer_norm_eps = 1e-12;
};

// Linear layer registered as `name` on `parent`, initialized as BERT does (N(0, 0.02), zero bias).
torch::nn::Linear bert_linear(torch::nn::Module& parent, const std::string& name, int64_t in, int64_t out);
torch::nn::LayerNorm bert_layer_norm(torch::nn::Module& parent, const std::string& name, const BertSizes& sizes);

// word + position + segment embeddings → LayerNorm → dropout.
class BertEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit BertEmbeddingsImpl(const BertSizes& sizes);
  // words: [B, L, H] rows of word_embeddings (see Bert::encode_words); returns [B, L, H].
  at::Tensor forward(const at::Tensor& words);
  torch::nn::Embedding& word_embeddings() { return word_; }

 private:
  double dropout_;
  torch::nn::Embedding word_{nullptr}, position_{nullptr}, token_type_{nullptr};
  torch::nn::LayerNorm norm_{nullptr};
};
TORCH_MODULE(BertEmbeddings);

// Multi-head self-attention with a padding mask, then the GELU feed-forward; each sub-layer
// with dropout, a residual connection and LayerNorm (after it, or before it with pre_norm).
class BertLayerImpl : public torch::nn::Module {
 public:
  explicit BertLayerImpl(const BertSizes& sizes);
  // x: [B, L, H]; key_padding: bool [B, 1, 1, L], true where the key is padding.
  at::Tensor forward(const at::Tensor& x, const at::Tensor& key_padding);

 private:
  at::Tensor attention(const at::Tensor& x, const at::Tensor& key_padding);
  at::Tensor feed_forward(const at::Tensor& x);

  int64_t heads_;
  bool pre_norm_;
  double dropout_;
  torch::nn::Linear query_{nullptr}, key_{nullptr}, value_{nullptr}, attention_out_{nullptr};
  torch::nn::LayerNorm attention_norm_{nullptr};
  torch::nn::Linear intermediate_{nullptr}, output_{nullptr};
  torch::nn::LayerNorm output_norm_{nullptr};
};
TORCH_MODULE(BertLayer);

}  // namespace dpt::models
