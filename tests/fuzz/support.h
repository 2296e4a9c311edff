#pragma once
// Helpers shared by the fuzz targets.
#include <cstddef>
#include <cstdint>
#include <string>

namespace dpt::fuzz {

// Writes `size` bytes to /tmp/dpt-fuzz-<tag>-<pid> (replacing it) and returns the path.
std::string write_scratch(const char* tag, const uint8_t* data, size_t size);

}  // namespace dpt::fuzz
