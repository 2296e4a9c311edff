#pragma once
// CRC-32 (zlib's polynomial, the one `python3 -c "import zlib; zlib.crc32(b)"` computes) of
// tensor bytes, and the combination of pieces' CRCs. A checkpoint stores one CRC per tensor
// over its whole little-endian byte image; every rank computes the CRC of its own share and
// the shares' CRCs are combined in order, so the check costs 1/W of the bytes per rank and the
// stored value does not depend on the number of ranks that wrote or read it.
#include <cstdint>

namespace dpt::checkpoint {

// CRC-32 of `bytes` bytes at `data`, continuing from `crc` (0 to start).
uint32_t crc32(const void* data, int64_t bytes, uint32_t crc = 0);
// CRC-32 of A followed by B, from crc(A), crc(B) and B's length.
uint32_t crc32_combine(uint32_t crc_a, uint32_t crc_b, int64_t bytes_b);

}  // namespace dpt::checkpoint
