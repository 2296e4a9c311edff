// Each bad-input case produces its own one-line error naming the file and what to do, both
// when the dataset is opened (Dataset, as the loader does) and in the full check of inspect.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.h"
#include "data/dataset.h"
#include "data/loader.h"
#include "unit/data/fixtures.h"

namespace fs = std::filesystem;

namespace dpt::data {
namespace {

using testing::TempDir;

std::string open_error(const std::string& dir) {
  try {
    Dataset ds(dir);
  } catch (const DataError& e) {
    return e.what();
  }
  return "no error";
}

class Validation : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = testing::make_synthetic(60);
    manifest_ = testing::write_synthetic_split(dir(), data_, 3);
  }
  std::string dir() const { return tmp_ / "split"; }
  std::string shard(int i) const { return dir() + "/" + shard_file_name(i); }
  // Rewrites shard `i` with other fields and records its new size in the manifest.
  void replace_shard(int i, const std::vector<FieldSpec>& fields, const std::vector<const void*>& columns,
                     int64_t rows) {
    manifest_.shards[static_cast<size_t>(i)].bytes = write_shard(shard(i), fields, columns, rows, {});
    write_manifest(manifest_, dir());
  }

  TempDir tmp_;
  testing::Synthetic data_;
  Manifest manifest_;
};

TEST_F(Validation, IntactSplitOpensAndChecksClean) {
  EXPECT_EQ(open_error(dir()), "no error");
  const DatasetCheck check = check_dataset(dir());
  EXPECT_TRUE(check.manifest_ok);
  EXPECT_TRUE(check.problems.empty());
  EXPECT_EQ(check.manifest.total_samples, 60);
}

TEST_F(Validation, OpensShardsWithoutHdf5FileLocking) {
  // Another holder of an exclusive flock() (a writer, or a file system that refuses locks):
  // HDF5's default locking would fail the open; dptrain opens read-only without locking.
  const int fd = ::open(shard(0).c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  EXPECT_EQ(open_error(dir()), "no error");
  ::flock(fd, LOCK_UN);
  ::close(fd);
}

TEST_F(Validation, MissingDirectoryAndManifest) {
  EXPECT_NE(open_error(tmp_ / "nowhere").find("does not exist"), std::string::npos);
  fs::remove(dir() + "/manifest.json");
  EXPECT_NE(open_error(dir()).find("no manifest.json in"), std::string::npos);
  EXPECT_NE(open_error(dir()).find("did not finish; re-run 'dptrain prepare'"), std::string::npos);
  EXPECT_FALSE(check_dataset(dir()).manifest_ok);
}

TEST_F(Validation, MissingShard) {
  fs::remove(shard(1));
  const std::string e = open_error(dir());
  EXPECT_NE(e.find("shard '" + shard(1) + "' listed in manifest.json is missing"), std::string::npos) << e;
}

TEST_F(Validation, TruncatedShard) {
  fs::resize_file(shard(2), fs::file_size(shard(2)) / 2);
  const std::string e = open_error(dir());
  EXPECT_NE(e.find(shard(2)), std::string::npos) << e;
  EXPECT_NE(e.find("the file is truncated or was replaced"), std::string::npos) << e;
}

TEST_F(Validation, NonHdf5Shard) {
  const auto size = fs::file_size(shard(0));
  testing::write_file(shard(0), std::string(size, 'z'));  // same size, so only HDF5 can tell
  const std::string e = open_error(dir());
  EXPECT_NE(e.find("cannot open '" + shard(0) + "' as an HDF5 file"), std::string::npos) << e;
  EXPECT_NE(e.find("re-run 'dptrain prepare'"), std::string::npos) << e;
}

TEST_F(Validation, WrongDtype) {
  FieldSpec x = testing::synthetic_fields(data_)[0];
  x.dtype = DType::kFloat32;
  std::vector<float> pixels(20 * 16, 0.5f);
  replace_shard(1, {x, testing::synthetic_fields(data_)[1]}, {pixels.data(), data_.labels.data()}, 20);
  const std::string e = open_error(dir());
  EXPECT_NE(e.find("shard '" + shard(1) + "' dataset '/x' has dtype float32 but manifest.json says uint8"),
            std::string::npos)
      << e;
}

TEST_F(Validation, WrongShapeAndCount) {
  FieldSpec x = testing::synthetic_fields(data_)[0];
  x.shape = {4, 5};
  replace_shard(0, {x, testing::synthetic_fields(data_)[1]}, {data_.images.data(), data_.labels.data()}, 20);
  EXPECT_NE(open_error(dir()).find("has shape [20, 4, 5] but manifest.json says [20, 4, 4]"), std::string::npos);
  // A shard with more rows than the manifest says.
  const auto fields = testing::synthetic_fields(data_);
  replace_shard(0, fields, {data_.images.data(), data_.labels.data()}, 25);
  EXPECT_NE(open_error(dir()).find("has shape [25, 4, 4] but manifest.json says [20, 4, 4]"), std::string::npos);
}

TEST_F(Validation, FieldMissingFromShard) {
  replace_shard(2, {testing::synthetic_fields(data_)[0]}, {data_.images.data()}, 20);
  EXPECT_NE(open_error(dir()).find("has no dataset '/y' (field 'y' of manifest.json)"), std::string::npos);
}

TEST_F(Validation, CheckDatasetReportsEveryBrokenShard) {
  fs::remove(shard(0));
  fs::resize_file(shard(2), 100);
  const DatasetCheck check = check_dataset(dir());
  ASSERT_EQ(check.problems.size(), 2u);
  EXPECT_NE(check.problems[0].find("missing"), std::string::npos);
  EXPECT_NE(check.problems[1].find("truncated"), std::string::npos);
}

TEST_F(Validation, CheckDatasetFindsLabelsOutOfRange) {
  std::vector<uint8_t> labels(data_.labels.begin() + 20, data_.labels.begin() + 40);
  labels[5] = 12;
  labels[9] = 200;
  replace_shard(1, testing::synthetic_fields(data_), {data_.images.data() + 20 * 16, labels.data()}, 20);
  const DatasetCheck check = check_dataset(dir());
  ASSERT_EQ(check.problems.size(), 1u);
  const std::string& p = check.problems[0];
  EXPECT_NE(p.find("label 12 out of range [0, 10) in field 'y' of shard '" + shard(1) + "', row 5"), std::string::npos)
      << p;
  EXPECT_NE(p.find("(2 bad label(s) in this shard)"), std::string::npos) << p;
}

TEST_F(Validation, LoaderNamesShardAndRowOfABadLabel) {
  std::vector<uint8_t> labels(data_.labels.begin() + 20, data_.labels.begin() + 40);
  labels[7] = 10;
  replace_shard(1, testing::synthetic_fields(data_), {data_.images.data() + 20 * 16, labels.data()}, 20);
  for (int workers : {1, 3}) {  // the same batch fails whichever worker builds it (Note [Collation workers])
    LoaderOptions o;
    o.dir = dir();
    o.geometry = {10, 10, 1};
    o.plan.shuffle = false;
    o.workers = workers;
    Loader loader(o);  // opening succeeds: labels are checked as batches are built
    EXPECT_TRUE(loader.next().has_value());
    EXPECT_TRUE(loader.next().has_value());
    std::string error;
    try {
      loader.next();
    } catch (const DataError& e) {
      error = e.what();
    }
    EXPECT_NE(error.find("label 10 out of range [0, 10) in field 'y' of shard '" + shard(1) + "', row 7"),
              std::string::npos)
        << error << " (" << workers << " workers)";
    EXPECT_THROW(loader.next(), DataError);  // and it stays failed
  }
}

TEST_F(Validation, FewerSamplesThanOneGlobalBatch) {
  LoaderOptions o;
  o.dir = dir();
  o.geometry = {64, 8, 2};
  try {
    Loader loader(o);
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("has 60 samples, fewer than one global batch of 64"), std::string::npos);
  }
  o.mode = LoaderMode::kEval;  // evaluation pads instead
  Loader eval(o);
  EXPECT_EQ(eval.steps_per_epoch(), 1);
}

}  // namespace
}  // namespace dpt::data
