#include "roadrunner/sys/usage.h"

#include <sys/resource.h>

namespace rr::sys {

std::uint64_t threadMinorFaults() noexcept {
  rusage usage{};
  if (::getrusage(RUSAGE_THREAD, &usage) != 0) {
    return 0;
  }
  return static_cast<std::uint64_t>(usage.ru_minflt);
}

}  // namespace rr::sys
