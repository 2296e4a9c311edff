#pragma once
// MPI datatypes and reduction ops for the tensor dtypes dptrain communicates.
//
// Note [Half-precision reductions in MPI]
// MPI has no bfloat16/float16 types. We describe them as an opaque 2-byte contiguous type and
// register user-defined reduction ops that widen each element to float, combine, and round
// back. Rounding happens at every combine step, as in NCCL's bf16 all-reduce. The types and
// ops are created after MPI_Init and freed by the owner's destructor (before MPI_Finalize).
#include <ATen/core/ATen_fwd.h>
#include <c10/core/ScalarType.h>
#include <mpi.h>

#include "comm/communicator.h"

namespace dpt::comm {

class MpiTypes {
 public:
  MpiTypes();
  ~MpiTypes();
  MpiTypes(const MpiTypes&) = delete;
  MpiTypes& operator=(const MpiTypes&) = delete;

  MPI_Datatype datatype(c10::ScalarType dtype) const;
  // The MPI op for `op` on `dtype`; kAvg maps to the sum op (the caller divides).
  MPI_Op reduce_op(ReduceOp op, c10::ScalarType dtype) const;

 private:
  MPI_Datatype half2_ = MPI_DATATYPE_NULL;  // 2 opaque bytes: bfloat16 and float16
  MPI_Op bf16_[3] = {MPI_OP_NULL, MPI_OP_NULL, MPI_OP_NULL};  // sum, max, min
  MPI_Op fp16_[3] = {MPI_OP_NULL, MPI_OP_NULL, MPI_OP_NULL};
};

}  // namespace dpt::comm
