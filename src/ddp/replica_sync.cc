#include "ddp/replica_sync.h"

#include <ATen/ATen.h>

#include <map>
#include <sstream>

#include "common/error.h"

namespace dpt::ddp {
namespace {

// Rank 0's text, on every rank: its length, then its bytes as int32 values.
std::string broadcast_text(const std::string& mine, comm::Communicator& comm) {
  at::Tensor length = at::full({1}, static_cast<int64_t>(mine.size()), at::kLong);
  comm.broadcast(length, 0);
  at::Tensor chars = at::zeros({length.item<int64_t>()}, at::kInt);
  if (comm.rank() == 0) {
    for (size_t i = 0; i < mine.size(); ++i) chars[static_cast<int64_t>(i)] = static_cast<unsigned char>(mine[i]);
  }
  comm.broadcast(chars, 0);
  std::string text(static_cast<size_t>(chars.numel()), '\0');
  const int32_t* data = chars.data_ptr<int32_t>();
  for (size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>(data[i]);
  return text;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

}  // namespace

std::string describe(const NamedTensor& t) {
  std::ostringstream out;
  out << t.name << ": " << t.tensor.sizes() << " " << t.tensor.scalar_type();
  return out.str();
}

void verify_replicas(const std::vector<NamedTensor>& tensors, comm::Communicator& comm) {
  std::string mine;
  for (const auto& t : tensors) mine += describe(t) + "\n";
  const std::vector<std::string> root = lines_of(broadcast_text(mine, comm));
  const std::vector<std::string> own = lines_of(mine);
  std::string difference;
  for (size_t i = 0; i < std::max(root.size(), own.size()) && difference.empty(); ++i) {
    const std::string a = i < root.size() ? root[i] : "(none)";
    const std::string b = i < own.size() ? own[i] : "(none)";
    if (a != b) difference = "tensor #" + std::to_string(i) + ": rank 0 has '" + a + "', rank " +
                             std::to_string(comm.rank()) + " has '" + b + "'";
  }
  at::Tensor flags = at::zeros({comm.size()}, at::kInt);
  flags[comm.rank()] = difference.empty() ? 0 : 1;
  comm.allreduce(flags, comm::ReduceOp::kMax);
  if (flags.sum().item<int>() == 0) return;
  if (!difference.empty()) {
    DPT_THROW(CommError, "model replicas differ: rank " << comm.rank() << " does not match rank 0 at "
              << difference << ". Every rank must build the same model from the same config.");
  }
  std::string ranks;
  for (int r = 0; r < comm.size(); ++r) {
    if (flags[r].item<int>() != 0) ranks += (ranks.empty() ? "" : ", ") + std::to_string(r);
  }
  DPT_THROW(CommError, "model replicas differ: rank(s) " << ranks
            << " do not match rank 0 (their error lines name the first differing tensor)");
}

void broadcast_from_root(const std::vector<at::Tensor>& tensors, comm::Communicator& comm) {
  std::map<at::ScalarType, std::vector<at::Tensor>> by_dtype;
  for (const auto& t : tensors) by_dtype[t.scalar_type()].push_back(t);
  for (auto& [dtype, group] : by_dtype) {
    std::vector<at::Tensor> flat;
    for (const auto& t : group) flat.push_back(t.detach().reshape({-1}));
    at::Tensor buffer = at::cat(flat);
    comm.broadcast(buffer, 0);
    int64_t offset = 0;
    at::NoGradGuard no_grad;
    for (const auto& t : group) {
      t.detach().copy_(buffer.narrow(0, offset, t.numel()).view(t.sizes()));
      offset += t.numel();
    }
  }
}

}  // namespace dpt::ddp
