// Runs every committed seed (corpus/<target>/) and crash regression (regressions/<target>/)
// through its fuzz target, so that inputs that once crashed keep being checked by the plain
// unit-test build, without clang. A target throws dpt::fuzz findings as std::logic_error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/targets.h"

namespace dpt::fuzz {
namespace {

namespace fs = std::filesystem;

// Feeds every file under tests/fuzz/{corpus,regressions}/<name>/ to `target`; returns the count.
int replay(const std::string& name, void (*target)(const uint8_t*, size_t)) {
  int count = 0;
  for (const char* kind : {"corpus", "regressions"}) {
    const fs::path dir = fs::path(DPT_SOURCE_DIR) / "tests/fuzz" / kind / name;
    if (!fs::exists(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (!entry.is_regular_file() || entry.path().filename() == "README") continue;
      std::ifstream in(entry.path(), std::ios::binary);
      const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      SCOPED_TRACE(entry.path().string());
      EXPECT_NO_THROW(target(bytes.data(), bytes.size()));
      ++count;
    }
  }
  return count;
}

TEST(FuzzReplay, Config) { EXPECT_GT(replay("config", config_input), 5); }
TEST(FuzzReplay, Idx) { EXPECT_GT(replay("idx", idx_input), 5); }
TEST(FuzzReplay, Manifest) { EXPECT_GT(replay("manifest", manifest_input), 5); }
TEST(FuzzReplay, Text) { EXPECT_GT(replay("text", text_input), 5); }

}  // namespace
}  // namespace dpt::fuzz
