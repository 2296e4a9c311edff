#pragma once
// The IDX format of the MNIST family (http://yann.lecun.com/exdb/mnist/): a 4-byte magic
// (0, 0, type, number of dimensions), the dimensions as big-endian uint32, then the data in C
// order. Files may be gzip-compressed (".gz") or plain; zlib reads both.
#include <cstdint>
#include <string>
#include <vector>

namespace dpt::data {

struct IdxArray {
  std::vector<int64_t> dims;  // dims[0] = number of items
  std::vector<uint8_t> data;  // product(dims) bytes
};

// Reads an IDX file of unsigned bytes (type 0x08, the only type the MNIST family uses).
// Throws DataError naming the file for a missing file, a bad magic, another element type, or
// a size that does not match the header (truncated or trailing data).
IdxArray read_idx(const std::string& path);

// Writes an IDX file of unsigned bytes, gzip-compressed when `gzip`. For tests and tools.
void write_idx(const std::string& path, const std::vector<int64_t>& dims, const uint8_t* data, bool gzip);

}  // namespace dpt::data
