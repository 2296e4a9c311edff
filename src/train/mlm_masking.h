#pragma once
// Masked-LM masking (train.task=mlm), as BERT pre-training does it.
//
// Note [Deterministic masking]
// Which tokens of a sample are masked, and what replaces them, is a pure function of
// (seed, epoch, global sample id, position): each decision hashes that key with splitmix64
// instead of drawing from a generator whose position would depend on the rank, the micro-batch
// size or where a run resumed. So a multi-rank run masks exactly what one rank would, and a
// resumed run masks exactly what the uninterrupted run did. Per position that is a real token
// (attention mask 1) and not a special token: with probability p it becomes a prediction
// target, and then the input becomes [MASK] (80%), a random non-special token (10%) or stays
// (10%).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace dpt::train {

inline constexpr int64_t kIgnoreLabel = -100;  // label of a position that is not predicted

// The token ids the masking needs; defaults are BERT's uncased vocabulary's.
struct SpecialTokens {
  int64_t pad = 0, unk = 100, cls = 101, sep = 102, mask = 103;
  std::vector<int64_t> all() const { return {pad, unk, cls, sep, mask}; }
};

struct MaskingOptions {
  double probability = 0.15;
  int64_t vocab_size = 0;
  SpecialTokens special;
  uint64_t seed = 0;
};

struct MaskedTokens {
  at::Tensor inputs;  // int64 [B, L]: the ids with the replacements applied
  at::Tensor labels;  // int64 [B, L]: the original id at target positions, kIgnoreLabel elsewhere
  int64_t targets = 0;  // positions with a label
};

// ids, attention_mask: CPU [B, L] integer tensors; sample_ids: the global id of each row (-1 =
// evaluation padding: no targets). Throws DataError for an id outside [0, vocab_size).
MaskedTokens mask_tokens(const at::Tensor& ids, const at::Tensor& attention_mask,
                         const std::vector<int64_t>& sample_ids, int64_t epoch, const MaskingOptions& options);

}  // namespace dpt::train
