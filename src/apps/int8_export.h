#pragma once
// The int8 export (dptrain export --quantize int8) and its loader (dptrain eval --model).
//
// An int8 export is a LibTorch archive (torch::serialize::OutputArchive, a zip) with:
//   format       "dptrain-int8-v1"
//   config       the checkpoint's resolved configuration (INI text)
//   extra        the checkpoint manifest's "extra" JSON (model type and input shape)
//   int8/<name>, scale/<name>   quantized weights, Note [Int8 weights] (models/quantize.h)
//   float/<name>                every other parameter and every buffer, float32 as trained
// so it carries all that is needed to rebuild and evaluate the model without the checkpoint.
#include <string>

#include "apps/checkpoint_model.h"

namespace dpt::apps {

struct Int8Report {
  int64_t quantized = 0;  // parameters stored as int8 (elements)
  int64_t kept = 0;       // parameter and buffer elements kept in float32
  double max_error = 0;   // largest |w - dequantized w| over all quantized weights
};

// Writes `model`'s int8 export to `path` (rank 0 only; not collective).
Int8Report write_int8_export(const CheckpointModel& model, const std::string& path);

// Loads an int8 export: builds the model from its stored configuration and fills it with the
// dequantized weights. Throws CheckpointError when `path` is not an int8 export.
CheckpointModel load_int8_export(const std::string& path);

}  // namespace dpt::apps
