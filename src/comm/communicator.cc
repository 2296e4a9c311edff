#include "comm/communicator.h"

#include "common/error.h"

namespace dpt::comm {

const char* to_string(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum: return "sum";
    case ReduceOp::kAvg: return "avg";
    case ReduceOp::kMax: return "max";
    case ReduceOp::kMin: return "min";
  }
  return "?";
}

void check_tensor(const at::Tensor& tensor, const char* op_name) {
  DPT_CHECK(tensor.defined(), CommError, op_name << ": tensor is undefined");
  DPT_CHECK(tensor.is_contiguous(), CommError,
            op_name << ": tensor must be contiguous (call .contiguous() first)");
  switch (tensor.scalar_type()) {
    case at::kFloat: case at::kDouble: case at::kBFloat16: case at::kHalf: case at::kInt: case at::kLong:
      return;
    default:
      DPT_THROW(CommError, op_name << ": dtype " << tensor.scalar_type()
                << " is not supported (float32, float64, bfloat16, float16, int32, int64)");
  }
}

}  // namespace dpt::comm
