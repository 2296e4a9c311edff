#include "data/idx.h"

#include <zlib.h>

#include <algorithm>
#include <memory>

#include "common/error.h"

namespace dpt::data {
namespace {

struct GzClose {
  void operator()(gzFile_s* f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzClose>;

// Reads up to `n` bytes; returns how many were read. Throws on a zlib error (a damaged .gz).
int64_t read_some(gzFile f, uint8_t* dst, int64_t n, const std::string& path) {
  int64_t done = 0;
  while (done < n) {
    const unsigned want = static_cast<unsigned>(std::min<int64_t>(n - done, int64_t{1} << 30));
    const int got = gzread(f, dst + done, want);
    if (got < 0) {
      int code = 0;
      const char* msg = gzerror(f, &code);
      DPT_THROW(DataError, "cannot read IDX file '" << path << "': " << msg << "; the file is damaged, fetch it again");
    }
    if (got == 0) break;
    done += got;
  }
  return done;
}

// Reads up to `n` data bytes into `out`, growing it geometrically from 1 MiB: a damaged header
// may promise up to 1 TiB, and the buffer must follow the data that is really there rather
// than the header's claim (found by tests/fuzz: fuzz_idx).
int64_t read_data(gzFile f, int64_t n, const std::string& path, std::vector<uint8_t>* out) {
  int64_t done = 0;
  while (done < n) {
    const int64_t want = std::min(n - done, std::max(done, int64_t{1} << 20));
    out->resize(static_cast<size_t>(done + want));
    const int64_t got = read_some(f, out->data() + done, want, path);
    done += got;
    if (got < want) break;
  }
  out->resize(static_cast<size_t>(done));
  return done;
}

int64_t checked_product(const std::vector<int64_t>& dims, const std::string& path) {
  int64_t n = 1;
  for (int64_t d : dims) {
    DPT_CHECK(d >= 1 && n <= (int64_t{1} << 40) / d, DataError,
              "IDX file '" << path << "' declares an impossible size (dimension " << d << ")");
    n *= d;
  }
  return n;
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  GzFile f(gzopen(path.c_str(), "rb"));
  DPT_CHECK(f != nullptr, DataError, "cannot open IDX file '" << path << "' (missing or no permission)");
  gzbuffer(f.get(), 1 << 20);
  uint8_t magic[4];
  DPT_CHECK(read_some(f.get(), magic, 4, path) == 4 && magic[0] == 0 && magic[1] == 0, DataError,
            "'" << path << "' is not an IDX file (bad magic number); pass the MNIST-format images/labels files");
  DPT_CHECK(magic[2] == 0x08, DataError,
            "IDX file '" << path << "' holds element type 0x" << std::hex << int{magic[2]}
                         << "; only unsigned bytes (0x08) are supported");
  DPT_CHECK(magic[3] >= 1, DataError, "IDX file '" << path << "' declares 0 dimensions");
  IdxArray array;
  for (int i = 0; i < magic[3]; ++i) {
    uint8_t be[4];
    DPT_CHECK(read_some(f.get(), be, 4, path) == 4, DataError, "IDX file '" << path << "' ends inside its header");
    array.dims.push_back((int64_t{be[0]} << 24) | (int64_t{be[1]} << 16) | (int64_t{be[2]} << 8) | be[3]);
  }
  const int64_t n = checked_product(array.dims, path);
  const int64_t got = read_data(f.get(), n, path, &array.data);
  DPT_CHECK(got == n, DataError,
            "IDX file '" << path << "' is truncated: its header promises " << n << " data bytes, it holds " << got
                         << "; fetch the file again");
  uint8_t extra;
  DPT_CHECK(read_some(f.get(), &extra, 1, path) == 0, DataError,
            "IDX file '" << path << "' has data after the " << n << " bytes its header declares");
  return array;
}

void write_idx(const std::string& path, const std::vector<int64_t>& dims, const uint8_t* data, bool gzip) {
  GzFile f(gzopen(path.c_str(), gzip ? "wb6" : "wbT"));  // 'T': plain, uncompressed output
  DPT_CHECK(f != nullptr, DataError, "cannot create '" << path << "'");
  std::vector<uint8_t> header = {0, 0, 0x08, static_cast<uint8_t>(dims.size())};
  for (int64_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) header.push_back(static_cast<uint8_t>(d >> shift));
  }
  const int64_t n = checked_product(dims, path);
  bool ok = gzwrite(f.get(), header.data(), static_cast<unsigned>(header.size())) == static_cast<int>(header.size());
  for (int64_t done = 0; ok && done < n;) {
    const unsigned chunk = static_cast<unsigned>(std::min<int64_t>(n - done, int64_t{1} << 30));
    ok = gzwrite(f.get(), data + done, chunk) == static_cast<int>(chunk);
    done += chunk;
  }
  ok = gzclose(f.release()) == Z_OK && ok;
  DPT_CHECK(ok, DataError, "cannot write '" << path << "' (disk full?)");
}

}  // namespace dpt::data
