#include "roadrunner/sys/cpu.h"

#include <sched.h>

#include <cstddef>

namespace rr::sys {

int currentCpu() noexcept { return ::sched_getcpu(); }

bool moveOffThisCpu() noexcept {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  const int current = ::sched_getcpu();
  if (current < 0 || ::sched_getaffinity(0, sizeof allowed, &allowed) != 0) {
    return false;
  }
  const auto cpu = static_cast<std::size_t>(current);
  if (!CPU_ISSET(cpu, &allowed) || CPU_COUNT(&allowed) < 2) {
    return false;
  }
  cpu_set_t elsewhere = allowed;
  CPU_CLR(cpu, &elsewhere);
  if (::sched_setaffinity(0, sizeof elsewhere, &elsewhere) != 0) {
    return false;
  }
  (void)::sched_setaffinity(0, sizeof allowed, &allowed);  // the mask back; the thread stays
  return true;
}

}  // namespace rr::sys
