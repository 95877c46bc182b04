// Completion: a spinning waiter that was told a copy is under way spins through it instead of
// sleeping; told nothing, it sleeps once its short spin is over. Sleeps are counted as the
// waiting thread's voluntary context switches.

#include "roadrunner/host/completion.h"

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "roadrunner/base/spin.h"

namespace rr::host {
namespace {

using namespace std::chrono_literals;

long voluntarySwitches() {
  rusage usage{};
  (void)::getrusage(RUSAGE_THREAD, &usage);
  return usage.ru_nvcsw;
}

// The waiting thread's sleeps while a receiver takes 2 ms to complete, having announced a copy
// of `copy_bytes` first (0: none).
long sleepsWhileWaiting(std::size_t copy_bytes) {
  Completion completion(1, /*spin=*/true);
  std::atomic<bool> taken{false};
  std::jthread receiver([&] {
    if (copy_bytes > 0) {
      completion.copying(copy_bytes);
    }
    taken.store(true, std::memory_order_release);
    std::this_thread::sleep_for(2ms);
    completion.done({.status = Status::kOk, .copied_bytes = copy_bytes});
  });
  while (!taken.load(std::memory_order_acquire)) {
    std::this_thread::yield();
  }
  const long before = voluntarySwitches();
  const DeliveryResult result = completion.wait();
  const long sleeps = voluntarySwitches() - before;
  EXPECT_EQ(result.status, Status::kOk);
  EXPECT_EQ(result.copied_bytes, copy_bytes);
  return sleeps;
}

TEST(CompletionTest, AWaiterSpinsThroughACopyItWasToldOf) {
  if (handOffSpin().count() == 0) {
    GTEST_SKIP() << "one CPU: a waiter never spins";
  }
  // 64 MiB may take 67 ms to copy; the receiver completes after 2.
  EXPECT_EQ(sleepsWhileWaiting(64U << 20U), 0);
}

TEST(CompletionTest, AWaiterToldOfNoCopySleepsAfterItsShortSpin) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "ThreadSanitizer's own waits decide how a blocked thread is counted";
#endif
  EXPECT_GE(sleepsWhileWaiting(0), 1);
}

}  // namespace
}  // namespace rr::host
