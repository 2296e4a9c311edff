#include "support.h"

#include <unistd.h>

#include <cstdio>
#include <stdexcept>

namespace dpt::fuzz {

std::string write_scratch(const char* tag, const uint8_t* data, size_t size) {
  const std::string path = "/tmp/dpt-fuzz-" + std::string(tag) + "-" + std::to_string(::getpid());
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) throw std::runtime_error("cannot create " + path);
  const bool ok = std::fwrite(data, 1, size, f) == size;
  if (std::fclose(f) != 0 || !ok) throw std::runtime_error("cannot write " + path);
  return path;
}

}  // namespace dpt::fuzz

namespace dpt::fuzz {

void finding(const char* target, const char* what) {
  // Not a dpt::Error, so no target swallows it: libFuzzer reports the uncaught exception as a
  // crash (and fuzz_replay as a failure), with the input that caused it.
  throw std::logic_error(std::string(target) + " fuzz target: " + what);
}

}  // namespace dpt::fuzz
