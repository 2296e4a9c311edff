#include "models/bert_layers.h"

#include <ATen/ATen.h>
#include <torch/nn/init.h>

#include <cmath>
#include <limits>

namespace dpt::models {
namespace {

constexpr double kInitStd = 0.02;  // BERT's initializer_range

// An empty module that only groups children under a name, as Hugging Face's wrapper modules
// ("attention", "self", "output", ...) do.
std::shared_ptr<torch::nn::Module> group(torch::nn::Module& parent, const std::string& name) {
  return parent.register_module(name, std::make_shared<torch::nn::Module>());
}

torch::nn::Embedding embedding(torch::nn::Module& parent, const std::string& name, int64_t rows, int64_t width) {
  auto e = parent.register_module(name, torch::nn::Embedding(rows, width));
  at::NoGradGuard no_grad;
  torch::nn::init::normal_(e->weight, 0.0, kInitStd);
  return e;
}

}  // namespace

torch::nn::Linear bert_linear(torch::nn::Module& parent, const std::string& name, int64_t in, int64_t out) {
  auto linear = parent.register_module(name, torch::nn::Linear(in, out));
  at::NoGradGuard no_grad;
  torch::nn::init::normal_(linear->weight, 0.0, kInitStd);
  linear->bias.zero_();
  return linear;
}

torch::nn::LayerNorm bert_layer_norm(torch::nn::Module& parent, const std::string& name, const BertSizes& sizes) {
  return parent.register_module(
      name, torch::nn::LayerNorm(torch::nn::LayerNormOptions({sizes.hidden}).eps(sizes.layer_norm_eps)));
}

BertEmbeddingsImpl::BertEmbeddingsImpl(const BertSizes& sizes) : dropout_(sizes.dropout) {
  word_ = embedding(*this, "word_embeddings", sizes.vocab_size, sizes.hidden);
  position_ = embedding(*this, "position_embeddings", sizes.max_len, sizes.hidden);
  token_type_ = embedding(*this, "token_type_embeddings", sizes.type_vocab, sizes.hidden);
  norm_ = bert_layer_norm(*this, "LayerNorm", sizes);
}

at::Tensor BertEmbeddingsImpl::forward(const at::Tensor& words) {
  const int64_t length = words.size(1);
  // Positions 0..L-1 and segment 0 for every sample: rows of the tables, broadcast over B.
  at::Tensor h = words + position_->weight.narrow(0, 0, length) + token_type_->weight[0];
  return at::dropout(norm_->forward(h), dropout_, is_training());
}

BertLayerImpl::BertLayerImpl(const BertSizes& sizes)
    : heads_(sizes.heads), pre_norm_(sizes.pre_norm), dropout_(sizes.dropout) {
  const int64_t h = sizes.hidden;
  auto attention = group(*this, "attention");
  auto self = group(*attention, "self");
  query_ = bert_linear(*self, "query", h, h);
  key_ = bert_linear(*self, "key", h, h);
  value_ = bert_linear(*self, "value", h, h);
  auto attention_output = group(*attention, "output");
  attention_out_ = bert_linear(*attention_output, "dense", h, h);
  attention_norm_ = bert_layer_norm(*attention_output, "LayerNorm", sizes);
  intermediate_ = bert_linear(*group(*this, "intermediate"), "dense", h, sizes.ffn);
  auto output = group(*this, "output");
  output_ = bert_linear(*output, "dense", sizes.ffn, h);
  output_norm_ = bert_layer_norm(*output, "LayerNorm", sizes);
}

at::Tensor BertLayerImpl::attention(const at::Tensor& x, const at::Tensor& key_padding) {
  const int64_t b = x.size(0), l = x.size(1), width = x.size(2) / heads_;
  auto split = [&](const at::Tensor& t) { return t.view({b, l, heads_, width}).transpose(1, 2); };  // [B, h, L, d]
  const at::Tensor q = split(query_->forward(x)), k = split(key_->forward(x)), v = split(value_->forward(x));
  at::Tensor scores = at::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(width));
  // Padding keys get the lowest float, so their softmax weight underflows to exactly 0: what
  // padding holds cannot reach a real token (tests/unit/models/bert_test.cc checks this). Not
  // -inf: a row without any real key (an evaluation padding row) then gets uniform weights
  // instead of NaN (as Hugging Face does, with finfo.min).
  scores = scores.masked_fill(key_padding, std::numeric_limits<float>::lowest());
  const at::Tensor probs = at::dropout(at::softmax(scores, -1), dropout_, is_training());
  const at::Tensor context = at::matmul(probs.to(v.scalar_type()), v).transpose(1, 2).reshape({b, l, heads_ * width});
  return at::dropout(attention_out_->forward(context), dropout_, is_training());
}

at::Tensor BertLayerImpl::feed_forward(const at::Tensor& x) {
  const at::Tensor inner = at::gelu(intermediate_->forward(x));  // exact (erf) GELU, as BERT's "gelu"
  return at::dropout(output_->forward(inner), dropout_, is_training());
}

at::Tensor BertLayerImpl::forward(const at::Tensor& x, const at::Tensor& key_padding) {
  if (pre_norm_) {
    const at::Tensor h = x + attention(attention_norm_->forward(x), key_padding);
    return h + feed_forward(output_norm_->forward(h));
  }
  const at::Tensor h = attention_norm_->forward(x + attention(x, key_padding));
  return output_norm_->forward(h + feed_forward(h));
}

}  // namespace dpt::models
