#include "train/mlm_masking.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "common/error.h"
#include "common/hash.h"

namespace dpt::train {
namespace {

// A uniform double in [0, 1) from the top 53 bits.
double unit(uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

}  // namespace

MaskedTokens mask_tokens(const at::Tensor& ids, const at::Tensor& attention_mask,
                         const std::vector<int64_t>& sample_ids, int64_t epoch, const MaskingOptions& options) {
  DPT_CHECK(options.probability > 0 && options.probability <= 1, ConfigError,
            "train.mlm_probability=" << options.probability << " must lie in (0, 1]");
  const std::vector<int64_t> special = options.special.all();
  DPT_CHECK(options.vocab_size > static_cast<int64_t>(special.size()), ConfigError,
            "mlm: a vocabulary of " << options.vocab_size << " ids has no room for ordinary tokens");
  const at::Tensor in = ids.to(at::kLong).contiguous();
  const at::Tensor real = attention_mask.to(at::kLong).contiguous();
  const int64_t b = in.size(0), l = in.size(1);
  MaskedTokens out;
  out.inputs = in.clone();
  out.labels = at::full({b, l}, kIgnoreLabel, at::kLong);
  const int64_t* src = in.data_ptr<int64_t>();
  const int64_t* mask = real.data_ptr<int64_t>();
  int64_t* dst = out.inputs.data_ptr<int64_t>();
  int64_t* labels = out.labels.data_ptr<int64_t>();
  auto is_special = [&](int64_t id) { return std::find(special.begin(), special.end(), id) != special.end(); };
  const uint64_t seed_key = splitmix64(options.seed);
  for (int64_t r = 0; r < b; ++r) {
    if (sample_ids[static_cast<size_t>(r)] < 0) continue;
    const uint64_t sample_key =
        splitmix64(seed_key ^ splitmix64(static_cast<uint64_t>(epoch) ^ splitmix64(static_cast<uint64_t>(sample_ids[r]))));
    for (int64_t p = 0; p < l; ++p) {
      const int64_t i = r * l + p, id = src[i];
      DPT_CHECK(id >= 0 && id < options.vocab_size, DataError,
                "token id " << id << " of sample " << sample_ids[r] << " lies outside the vocabulary of "
                << options.vocab_size << "; the split was made with another vocabulary than model.vocab_size");
      if (mask[i] == 0 || is_special(id)) continue;
      uint64_t h = splitmix64(sample_key ^ static_cast<uint64_t>(p));
      if (unit(h) >= options.probability) continue;
      labels[i] = id;
      ++out.targets;
      h = splitmix64(h);
      const double how = unit(h);
      if (how < 0.8) {
        dst[i] = options.special.mask;
      } else if (how < 0.9) {
        do {  // a random ordinary token
          h = splitmix64(h);
          dst[i] = static_cast<int64_t>(unit(h) * static_cast<double>(options.vocab_size));
        } while (is_special(dst[i]));
      }
    }
  }
  return out;
}

}  // namespace dpt::train
