#pragma once
// Bucket assignment for gradient reduction.
//
// Note [Bucket order]
// Gradients become ready in backward roughly in reverse order of parameter registration, so
// buckets are filled walking the parameters from last to first. The first bucket is kept
// small (ddp.first_bucket_mb, 1 MiB) so that communication starts early in backward; the rest
// are capped at ddp.bucket_mb. A bucket holds one dtype; a tensor larger than the cap gets a
// bucket of its own. The assignment depends only on the parameters' shapes and dtypes, so
// every rank computes the same one (checked at start-up by verify_replicas).
#include <ATen/core/Tensor.h>

#include <vector>

namespace dpt::ddp {

// Parameter indices per bucket, bucket 0 first. Every index of `params` appears exactly once.
std::vector<std::vector<size_t>> assign_buckets(const std::vector<at::Tensor>& params,
                                                int64_t first_cap_bytes, int64_t cap_bytes);

}  // namespace dpt::ddp
