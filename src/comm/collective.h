#pragma once
// What a collective is, in words: the description the watchdog prints when one hangs and the
// fingerprint the desync check compares across ranks (docs/reliability.md).
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <string>

#include "comm/communicator.h"

namespace dpt::comm {

enum class CollectiveOp : int32_t { kAllreduce = 1, kBroadcast, kAllgather, kReduceScatter, kBarrier };
const char* to_string(CollectiveOp op);

// One collective as issued by this rank. `label` is a string literal (static lifetime) set by
// a CollectiveLabel on the issuing thread, or nullptr; `label_index` numbers it (-1: none).
struct CollectiveInfo {
  uint64_t seq = 0;   // 1, 2, ... per communicator, in issue order
  CollectiveOp op = CollectiveOp::kBarrier;
  int32_t detail = -1;  // the ReduceOp for reductions, the root for broadcast, else -1
  c10::ScalarType dtype = c10::ScalarType::Undefined;
  int64_t numel = 0;
  const char* label = nullptr;
  int32_t label_index = -1;
  int64_t step = -1;  // the step the caller noted (Communicator::note_step), -1 if none

  int64_t bytes() const;
  // "allreduce(avg) #42 float32[1048576] (4.00 MiB) 'gradient bucket 3' step 7"
  std::string describe() const;
};

// Names the collectives the calling thread issues while it lives (innermost wins), e.g.
//   CollectiveLabel label("gradient bucket", b);
// The label must be a string literal: the watchdog may read it after the scope ended.
class CollectiveLabel {
 public:
  explicit CollectiveLabel(const char* label, int index = -1);
  ~CollectiveLabel();
  CollectiveLabel(const CollectiveLabel&) = delete;
  CollectiveLabel& operator=(const CollectiveLabel&) = delete;

  // The calling thread's current label (nullptr when none) and index.
  static const char* current(int* index);

 private:
  const char* previous_;
  int previous_index_;
};

}  // namespace dpt::comm
