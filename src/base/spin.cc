#include "roadrunner/base/spin.h"

#include <thread>

namespace rr {

std::chrono::nanoseconds handOffSpin() noexcept {
  // 20 us: a 1 KiB delivery in process takes a few microseconds from hand-off to completion, so
  // a spin this long catches nearly every one, and an idle thread burns no more than this after
  // each piece of work.
  static const std::chrono::nanoseconds spin = std::thread::hardware_concurrency() > 1
                                                   ? std::chrono::microseconds(20)
                                                   : std::chrono::nanoseconds(0);
  return spin;
}

}  // namespace rr
