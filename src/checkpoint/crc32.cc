#include "checkpoint/crc32.h"

#include <zlib.h>

#include <algorithm>

namespace dpt::checkpoint {

uint32_t crc32(const void* data, int64_t bytes, uint32_t crc) {
  const auto* p = static_cast<const Bytef*>(data);
  uLong value = crc;
  while (bytes > 0) {  // zlib takes 32-bit lengths
    const uInt n = static_cast<uInt>(std::min<int64_t>(bytes, int64_t{1} << 30));
    value = ::crc32(value, p, n);
    p += n;
    bytes -= n;
  }
  return static_cast<uint32_t>(value);
}

uint32_t crc32_combine(uint32_t crc_a, uint32_t crc_b, int64_t bytes_b) {
  if (bytes_b == 0) return crc_a;
  return static_cast<uint32_t>(::crc32_combine(crc_a, crc_b, static_cast<z_off_t>(bytes_b)));
}

}  // namespace dpt::checkpoint
