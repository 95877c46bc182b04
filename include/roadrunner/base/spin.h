#pragma once

// Waiting without sleeping, for hand-offs between threads that usually take microseconds: a
// futex sleep and wake-up costs more than the hand-off (on an idle VM, where the woken thread's
// CPU sleeps too, tens of microseconds), so a short spin first saves both when the other thread
// is about to answer.

#include <sched.h>

#include <chrono>

namespace rr {

/// One step of a busy wait: tells the CPU that this thread spins (x86 PAUSE), so a sibling
/// hyperthread gets the core and leaving the loop costs no pipeline flush.
inline void cpuRelax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

/// How long a thread handing work to another, or waiting for its next piece, spins before it
/// sleeps; 0 where there is one CPU (the thread it waits for needs that CPU).
[[nodiscard]] std::chrono::nanoseconds handOffSpin() noexcept;

/// Polls `ready` until it returns true or `budget` has passed; returns its last answer. Every 64
/// polls it yields the CPU (a thread it waits for may share it) and reads the clock, so a poll
/// should be a load or two.
template <typename Ready>
[[nodiscard]] bool spinUntil(Ready&& ready, std::chrono::nanoseconds budget) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (ready()) {
        return true;
      }
      cpuRelax();
    }
    sched_yield();
    if (std::chrono::steady_clock::now() >= deadline) {
      return ready();
    }
  }
}

}  // namespace rr
