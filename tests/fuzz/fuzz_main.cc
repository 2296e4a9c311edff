// libFuzzer entry point; DPT_FUZZ_TARGET names the dpt::fuzz function (set by CMakeLists.txt).
#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dpt::fuzz::DPT_FUZZ_TARGET(data, size);
  return 0;
}
