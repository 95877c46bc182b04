#include "roadrunner/host/corrupt_for_test.h"

#include <cstdlib>
#include <string_view>

namespace rr::host {

Corruption corruptionForTest() {
#ifdef RR_TEST_HOOKS
  const char* value = std::getenv("RR_CORRUPT_FOR_TEST");
  const std::string_view kind = value != nullptr ? value : "";
  if (kind == "skip") {
    return Corruption::kSkipCopy;
  }
  if (kind == "stale") {
    return Corruption::kStaleBuffer;
  }
  if (kind == "flip") {
    return Corruption::kFlipByte;
  }
#endif
  return Corruption::kNone;
}

}  // namespace rr::host
