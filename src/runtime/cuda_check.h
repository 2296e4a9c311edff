#pragma once
// DPT_CHECK_CUDA(call): throws CommError with the call text, CUDA's error name and string,
// file:line and rank when a CUDA runtime call fails. Only in builds with DPT_WITH_CUDA.
#include <cuda_runtime_api.h>

#include <string>

#include "common/error.h"

#define DPT_CHECK_CUDA(call)                                                                  \
  do {                                                                                        \
    const cudaError_t dpt_cuda_rc_ = (call);                                                  \
    if (dpt_cuda_rc_ != cudaSuccess) {                                                        \
      throw ::dpt::CommError(::dpt::format_error(                                             \
          std::string("CUDA error ") + cudaGetErrorName(dpt_cuda_rc_) + ": " +                \
              cudaGetErrorString(dpt_cuda_rc_),                                               \
          #call, __FILE__, __LINE__));                                                        \
    }                                                                                         \
  } while (0)
