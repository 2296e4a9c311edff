#include "comm/mpi/mpi_types.h"

#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>

#include <algorithm>

#include "runtime/mpi_check.h"

namespace dpt::comm {
namespace {

// See Note [Half-precision reductions in MPI].
template <typename T, int kOp>
void combine(void* in, void* inout, int* len, MPI_Datatype*) {
  const T* a = static_cast<const T*>(in);
  T* b = static_cast<T*>(inout);
  for (int i = 0; i < *len; ++i) {
    const float x = static_cast<float>(a[i]);
    const float y = static_cast<float>(b[i]);
    b[i] = static_cast<T>(kOp == 0 ? x + y : kOp == 1 ? std::max(x, y) : std::min(x, y));
  }
}

template <typename T>
void create_ops(MPI_Op (&ops)[3]) {
  DPT_CHECK_MPI(MPI_Op_create(&combine<T, 0>, /*commute=*/1, &ops[0]));
  DPT_CHECK_MPI(MPI_Op_create(&combine<T, 1>, 1, &ops[1]));
  DPT_CHECK_MPI(MPI_Op_create(&combine<T, 2>, 1, &ops[2]));
}

int op_index(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum: case ReduceOp::kAvg: return 0;
    case ReduceOp::kMax: return 1;
    case ReduceOp::kMin: return 2;
  }
  return 0;
}

}  // namespace

MpiTypes::MpiTypes() {
  DPT_CHECK_MPI(MPI_Type_contiguous(2, MPI_BYTE, &half2_));
  DPT_CHECK_MPI(MPI_Type_commit(&half2_));
  create_ops<c10::BFloat16>(bf16_);
  create_ops<c10::Half>(fp16_);
}

MpiTypes::~MpiTypes() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  for (MPI_Op* op : {&bf16_[0], &bf16_[1], &bf16_[2], &fp16_[0], &fp16_[1], &fp16_[2]}) {
    if (*op != MPI_OP_NULL) MPI_Op_free(op);
  }
  if (half2_ != MPI_DATATYPE_NULL) MPI_Type_free(&half2_);
}

MPI_Datatype MpiTypes::datatype(c10::ScalarType dtype) const {
  switch (dtype) {
    case c10::kFloat: return MPI_FLOAT;
    case c10::kDouble: return MPI_DOUBLE;
    case c10::kInt: return MPI_INT32_T;
    case c10::kLong: return MPI_INT64_T;
    case c10::kBFloat16: case c10::kHalf: return half2_;
    default:
      DPT_THROW(CommError, "no MPI datatype for " << dtype);
  }
}

MPI_Op MpiTypes::reduce_op(ReduceOp op, c10::ScalarType dtype) const {
  if (dtype == c10::kBFloat16) return bf16_[op_index(op)];
  if (dtype == c10::kHalf) return fp16_[op_index(op)];
  switch (op) {
    case ReduceOp::kSum: case ReduceOp::kAvg: return MPI_SUM;
    case ReduceOp::kMax: return MPI_MAX;
    case ReduceOp::kMin: return MPI_MIN;
  }
  return MPI_SUM;
}

}  // namespace dpt::comm
