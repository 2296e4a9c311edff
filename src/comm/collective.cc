#include "comm/collective.h"

#include <cstdio>

namespace dpt::comm {
namespace {

thread_local const char* tls_label = nullptr;
thread_local int tls_label_index = -1;

const char* dtype_name(c10::ScalarType dtype) {
  switch (dtype) {
    case c10::kFloat: return "float32";
    case c10::kDouble: return "float64";
    case c10::kBFloat16: return "bfloat16";
    case c10::kHalf: return "float16";
    case c10::kInt: return "int32";
    case c10::kLong: return "int64";
    default: return c10::toString(dtype);
  }
}

}  // namespace

const char* to_string(CollectiveOp op) {
  switch (op) {
    case CollectiveOp::kAllreduce: return "allreduce";
    case CollectiveOp::kBroadcast: return "broadcast";
    case CollectiveOp::kAllgather: return "allgather";
    case CollectiveOp::kReduceScatter: return "reduce_scatter";
    case CollectiveOp::kBarrier: return "barrier";
  }
  return "?";
}

int64_t CollectiveInfo::bytes() const {
  return dtype == c10::ScalarType::Undefined ? 0 : numel * static_cast<int64_t>(c10::elementSize(dtype));
}

std::string CollectiveInfo::describe() const {
  std::string text = to_string(op);
  if (op == CollectiveOp::kAllreduce || op == CollectiveOp::kReduceScatter) {
    text += std::string("(") + to_string(static_cast<ReduceOp>(detail)) + ")";
  } else if (op == CollectiveOp::kBroadcast) {
    text += "(root " + std::to_string(detail) + ")";
  }
  text += " #" + std::to_string(seq);
  if (dtype != c10::ScalarType::Undefined) {
    char size[96];
    std::snprintf(size, sizeof size, " %s[%lld] (%.2f MiB)", dtype_name(dtype), static_cast<long long>(numel),
                  static_cast<double>(bytes()) / (1 << 20));
    text += size;
  }
  if (label != nullptr) {
    text += std::string(" '") + label + (label_index >= 0 ? " " + std::to_string(label_index) : "") + "'";
  }
  if (step >= 0) text += " step " + std::to_string(step);
  return text;
}

CollectiveLabel::CollectiveLabel(const char* label, int index)
    : previous_(tls_label), previous_index_(tls_label_index) {
  tls_label = label;
  tls_label_index = index;
}

CollectiveLabel::~CollectiveLabel() {
  tls_label = previous_;
  tls_label_index = previous_index_;
}

const char* CollectiveLabel::current(int* index) {
  *index = tls_label_index;
  return tls_label;
}

}  // namespace dpt::comm
