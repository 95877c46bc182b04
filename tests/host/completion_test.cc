// Completion: a spinning waiter that was told a copy is under way spins through it instead of
// sleeping; told nothing, it sleeps once its short spin is over. Sleeps are counted as the
// waiting thread's voluntary context switches. A receiver's large copy is shared with a waiter
// that spins (copyTogether), and every byte lands, whoever copied it.

#include "roadrunner/host/completion.h"

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <random>
#include <thread>
#include <vector>

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

struct SharedCopy {
  bool same = false;       // every byte of the source landed
  std::size_t helped = 0;  // of them, copied by the waiting thread
};

// A receiver thread copies `len` random bytes (drawn from `seed`) for a waiter of a completion
// that spins or not; the waiter is in wait() before the receiver starts copying, spinning
// through the copy it was told of, or (`announced` false) asleep after its short spin.
SharedCopy copyForAWaiter(std::size_t len, bool spin, unsigned seed, bool announced = true) {
  std::vector<std::byte> from(len);
  std::vector<std::byte> to(len, std::byte{0});
  std::mt19937 random(seed);
  for (std::byte& b : from) {
    b = static_cast<std::byte>(random());
  }
  Completion completion(1, spin);
  std::atomic<bool> started{false};
  std::jthread receiver([&] {
    if (announced) {
      completion.copying(std::size_t{256} << 20U);  // the waiter spins for up to 256 ms
    }
    started.store(true, std::memory_order_release);
    std::this_thread::sleep_for(announced ? 1ms : 5ms);  // the waiter is in wait() by now
    completion.copyTogether(to, from);
    completion.done({.status = Status::kOk, .copied_bytes = len});
  });
  while (!started.load(std::memory_order_acquire)) {
    std::this_thread::yield();
  }
  const DeliveryResult result = completion.wait();
  EXPECT_EQ(result.copied_bytes, len);
  return {.same = to == from, .helped = result.sender_copied_bytes};
}

TEST(CompletionTest, ASpinningWaiterCopiesTheBackHalfOfALargeCopy) {
  if (handOffSpin().count() == 0) {
    GTEST_SKIP() << "one CPU: a waiter never spins";
  }
  // Odd lengths, so the halves meet inside the copy; the waiter may lose its CPU in a round,
  // but not in all of them.
  const std::size_t lengths[] = {Completion::kCopyTogetherFrom, (std::size_t{1} << 20U) + 13,
                                 (std::size_t{3} << 20U) + 4097};
  std::size_t helped_rounds = 0;
  for (unsigned round = 0; round < 12; ++round) {
    const std::size_t len = lengths[round % 3];
    const SharedCopy copy = copyForAWaiter(len, /*spin=*/true, round);
    EXPECT_TRUE(copy.same) << "round " << round << ", " << len << " bytes";
    if (copy.helped > 0) {
      ++helped_rounds;
      EXPECT_GE(copy.helped, len / 2);  // the back half, from a cache line boundary
      EXPECT_LT(copy.helped, len / 2 + 64);
    }
  }
  EXPECT_GE(helped_rounds, 1U);
}

TEST(CompletionTest, AWaiterThatDoesNotSpinOrASmallCopyLeavesTheReceiverToCopyAlone) {
  const SharedCopy not_spinning = copyForAWaiter(std::size_t{1} << 20U, /*spin=*/false, 7);
  EXPECT_TRUE(not_spinning.same);
  EXPECT_EQ(not_spinning.helped, 0U);
  // Offered, and taken back: the waiter sleeps.
  const SharedCopy asleep = copyForAWaiter(std::size_t{1} << 20U, /*spin=*/true, 9, false);
  EXPECT_TRUE(asleep.same);
  EXPECT_EQ(asleep.helped, 0U);
  const SharedCopy small = copyForAWaiter(Completion::kCopyTogetherFrom - 1, /*spin=*/true, 8);
  EXPECT_TRUE(small.same);
  EXPECT_EQ(small.helped, 0U);
}

}  // namespace
}  // namespace rr::host
