// make_text_splits OUT: writes small synthetic text splits in the format of `dptrain prepare
// text` (fields input_ids int32 [16], attention_mask uint8 [16], and label uint8 for the
// classification splits) through data::write_split, for tests/mpi/train/text_e2e.sh:
//   OUT/mlm/{train,test}  unlabeled sequences for masked-LM pre-training
//   OUT/cls/{train,test}  3 classes
// A sequence is [CLS] t1 t2 ... [SEP] [PAD]... with its tokens drawn from one of 3 topics of 8 ids
// each (104..111, 112..119, 120..127): a masked token is predictable from the others (perplexity
// 8 at best, 24 knowing the token frequencies only), and the class is the topic.
#include <cstdio>
#include <string>
#include <vector>

#include "data/prepare.h"

namespace {

using dpt::data::DType;
using dpt::data::FieldRole;
using dpt::data::FieldSpec;

constexpr int64_t kLength = 16, kFirst = 104, kTopic = 8, kClasses = 3;

void write(const std::string& out, int64_t samples, int64_t offset, bool labeled) {
  std::vector<int32_t> ids(samples * kLength, 0);
  std::vector<uint8_t> mask(samples * kLength, 0), labels(samples);
  uint64_t state = 12345 + offset;
  for (int64_t i = 0; i < samples; ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    const int64_t topic = static_cast<int64_t>((state >> 20) % kClasses);
    const int64_t length = 6 + static_cast<int64_t>((state >> 40) % (kLength - 5));  // 6..16
    labels[i] = static_cast<uint8_t>(topic);
    for (int64_t p = 0; p < length; ++p) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      const int64_t word = kFirst + topic * kTopic + static_cast<int64_t>((state >> 33) % kTopic);
      const int64_t token = p == 0 ? 101 : p == length - 1 ? 102 : word;
      ids[i * kLength + p] = static_cast<int32_t>(token);
      mask[i * kLength + p] = 1;
    }
  }
  dpt::data::SplitSource source;
  source.fields = {FieldSpec{"input_ids", DType::kInt32, {kLength}, FieldRole::kValue},
                   FieldSpec{"attention_mask", DType::kUInt8, {kLength}, FieldRole::kValue}};
  source.columns = {reinterpret_cast<const uint8_t*>(ids.data()), mask.data()};
  if (labeled) {
    source.fields.push_back(FieldSpec{"label", DType::kUInt8, {}, FieldRole::kLabel, kClasses});
    source.columns.push_back(labels.data());
    source.class_names = {"topic0", "topic1", "topic2"};
  }
  source.samples = samples;
  source.source = "synthetic topic sequences (tests/mpi/train/make_text_splits.cc)";
  dpt::data::SplitWriteOptions options;
  options.shards = 2;
  options.created_by = "make_text_splits";
  dpt::data::write_split(source, out, options);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_text_splits OUT\n");
    return 2;
  }
  const std::string out = argv[1];
  write(out + "/mlm/train", 2048, 0, false);
  write(out + "/mlm/test", 256, 1, false);
  write(out + "/cls/train", 512, 2, true);
  write(out + "/cls/test", 300, 3, true);
  return 0;
}
