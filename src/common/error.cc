#include "common/error.h"

#include "common/log.h"

namespace dpt {

Error::Error(const std::string& kind, const std::string& message)
    : std::runtime_error(message), kind_(kind) {}

std::string format_error(const std::string& what, const char* call, const char* file, int line) {
  std::ostringstream out;
  out << what;
  if (call != nullptr) out << " [in " << call << "]";
  // Keep the path short: from src/ on when the file lives in the tree.
  std::string path = file;
  const auto pos = path.rfind("/src/");
  if (pos != std::string::npos) path = path.substr(pos + 5);
  out << " (" << path << ":" << line;
  const int rank = log::rank();
  if (rank >= 0) out << ", rank " << rank;
  out << ")";
  return out.str();
}

}  // namespace dpt
