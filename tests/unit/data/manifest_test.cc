#include "data/manifest.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/error.h"
#include "unit/data/fixtures.h"

namespace dpt::data {
namespace {

using testing::TempDir;

Manifest sample_manifest() {
  Manifest m;
  m.created_by = "test";
  FieldSpec x{"x", DType::kUInt8, {28, 28}, FieldRole::kImage};
  x.mean = 0.25;
  x.std = 0.5;
  FieldSpec y{"y", DType::kInt64, {}, FieldRole::kLabel};
  y.num_classes = 3;
  m.fields = {x, y};
  m.shards = {{"shard-00000.h5", 5, 1000}, {"shard-00001.h5", 4, 900}};
  m.total_samples = 9;
  m.class_names = {"a", "b", "c"};
  return m;
}

std::string check_error(const Manifest& m) {
  try {
    check_manifest(m, "m.json");
  } catch (const DataError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Manifest, JsonRoundTrip) {
  const Manifest m = sample_manifest();
  const Manifest back = manifest_from_json(parse_json(manifest_to_json(m).dump(), "m"), "m");
  ASSERT_EQ(back.fields.size(), 2u);
  EXPECT_EQ(back.fields[0].name, "x");
  EXPECT_EQ(back.fields[0].shape, (std::vector<int64_t>{28, 28}));
  EXPECT_EQ(back.fields[0].role, FieldRole::kImage);
  EXPECT_DOUBLE_EQ(back.fields[0].mean, 0.25);
  EXPECT_DOUBLE_EQ(back.fields[0].std, 0.5);
  EXPECT_EQ(back.fields[1].dtype, DType::kInt64);
  EXPECT_EQ(back.fields[1].num_classes, 3);
  EXPECT_EQ(back.shard_sizes(), (std::vector<int64_t>{5, 4}));
  EXPECT_EQ(back.shards[1].bytes, 900);
  EXPECT_EQ(back.total_samples, 9);
  EXPECT_EQ(back.class_names, m.class_names);
  EXPECT_EQ(back.sample_bytes(), 28 * 28 + 8);
  EXPECT_EQ(back.total_bytes(), 1900);
  EXPECT_EQ(back.label_field()->name, "y");
}

TEST(Manifest, ShardFileNames) {
  EXPECT_EQ(shard_file_name(0), "shard-00000.h5");
  EXPECT_EQ(shard_file_name(123), "shard-00123.h5");
}

TEST(Manifest, ConsistencyChecksNameTheProblem) {
  Manifest m = sample_manifest();
  m.total_samples = 10;
  EXPECT_NE(check_error(m).find("the shards hold 9 samples but total_samples is 10"), std::string::npos);
  m = sample_manifest();
  m.shards[1].file = "shard-00000.h5";
  EXPECT_NE(check_error(m).find("listed twice"), std::string::npos);
  m = sample_manifest();
  m.format_version = 2;
  EXPECT_NE(check_error(m).find("format_version 2 is not supported"), std::string::npos);
  m = sample_manifest();
  m.fields[1].num_classes = 0;
  EXPECT_NE(check_error(m).find("needs num_classes >= 1"), std::string::npos);
  m = sample_manifest();
  m.class_names.pop_back();
  EXPECT_NE(check_error(m).find("2 class_names but the label field has 3 classes"), std::string::npos);
  m = sample_manifest();
  m.fields[0].dtype = DType::kFloat32;
  EXPECT_NE(check_error(m).find("image field 'x' must be uint8"), std::string::npos);
  m = sample_manifest();
  m.fields[1].shape = {2};
  EXPECT_NE(check_error(m).find("one integer per sample"), std::string::npos);
  m = sample_manifest();
  m.shards[0].file = "../evil.h5";
  EXPECT_NE(check_error(m).find("plain file name"), std::string::npos);
  m = sample_manifest();
  m.fields[0].shape = {28, 0};
  EXPECT_NE(check_error(m).find("shape entry 0 < 1"), std::string::npos);
  EXPECT_EQ(check_error(sample_manifest()), "no error");
}

TEST(Manifest, JsonStructureErrorsNameTheKey) {
  auto error_of = [](const std::string& text) {
    try {
      manifest_from_json(parse_json(text, "m.json"), "m.json");
    } catch (const DataError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const Json j = manifest_to_json(sample_manifest());
  std::string text = j.dump();
  const std::string bad_dtype = text.replace(text.find("\"int64\""), 7, "\"int16\"");
  EXPECT_NE(error_of(bad_dtype).find("m.json: 'fields[1].dtype': unknown dtype 'int16'"), std::string::npos);
  text = j.dump();
  const std::string bad_kind = text.replace(text.find("\"samples\": 5"), 12, "\"samples\": \"5\"");
  EXPECT_NE(error_of(bad_kind).find("'shards[0].samples' must be integer, found string"), std::string::npos);
  EXPECT_NE(error_of("{\"format\": \"other\"}").find("expected 'dptrain-dataset'"), std::string::npos);
  EXPECT_NE(error_of("[]").find("the top level must be an object"), std::string::npos);
  EXPECT_NE(error_of("{\"format\": \"dptrain-dataset\", \"format_version\": 1}").find("missing key 'total_samples'"),
            std::string::npos);
}

TEST(Manifest, ReadAndWriteFiles) {
  TempDir tmp;
  write_manifest(sample_manifest(), tmp.path());
  EXPECT_FALSE(std::filesystem::exists(tmp / "manifest.json.tmp"));
  EXPECT_EQ(read_manifest(tmp.path()).total_samples, 9);
}

TEST(Manifest, ReadErrorsSayWhatToDo) {
  TempDir tmp;
  auto error_of = [](const std::string& dir) {
    try {
      read_manifest(dir);
    } catch (const DataError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of(tmp / "nope").find("does not exist; create it with 'dptrain prepare'"), std::string::npos);
  EXPECT_NE(error_of(tmp.path()).find("no manifest.json in"), std::string::npos);
  testing::write_file(tmp / "file", "x");
  EXPECT_NE(error_of(tmp / "file").find("is not a directory"), std::string::npos);
  testing::write_file(tmp / "manifest.json", "{\n  \"format\": \"dptrain-dataset\",\n  oops\n}");
  EXPECT_NE(error_of(tmp.path()).find(tmp / "manifest.json" + ":3:3: invalid JSON"), std::string::npos);
}

}  // namespace
}  // namespace dpt::data
