// Fuzz target: the IDX reader (data/idx.h) that `dptrain prepare idx` runs on user files, plain
// or gzip-compressed. Checks beyond "no crash": an accepted file holds exactly the bytes its
// header declares, and writing it back with write_idx gives the same file (for plain input).
#include <cstring>

#include "common/error.h"
#include "data/idx.h"
#include "support.h"
#include "targets.h"

namespace dpt::fuzz {

void idx_input(const uint8_t* data, size_t size) {
  const std::string path = write_scratch("idx", data, size);
  data::IdxArray array;
  try {
    array = data::read_idx(path);
  } catch (const dpt::DataError&) {
    return;  // rejected with a clear message: fine
  }
  int64_t n = 1;
  for (int64_t d : array.dims) n *= d;
  if (array.dims.empty() || static_cast<size_t>(n) != array.data.size()) {
    finding("idx", "accepted a file whose data size differs from its header");
  }
  const bool gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
  if (gzip) return;
  const size_t header = 4 + 4 * array.dims.size();
  if (size != header + array.data.size() || std::memcmp(data + header, array.data.data(), array.data.size()) != 0) {
    finding("idx", "accepted a plain file whose bytes differ from what was read");
  }
}

}  // namespace dpt::fuzz
