// spinUntil: it returns as soon as its condition holds, set by another thread, and gives up at its
// budget, having polled until then.

#include "roadrunner/base/spin.h"

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace rr {
namespace {

using namespace std::chrono_literals;

TEST(SpinTest, ReturnsOnceAnotherThreadSetsTheCondition) {
  std::atomic<bool> ready{false};
  std::jthread setter([&] {
    std::this_thread::sleep_for(1ms);
    ready.store(true, std::memory_order_release);
  });
  EXPECT_TRUE(spinUntil([&] { return ready.load(std::memory_order_acquire); }, 10s));
}

TEST(SpinTest, GivesUpAtItsBudgetHavingPolledUntilThen) {
  int polls = 0;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(spinUntil(
      [&] {
        ++polls;
        return false;
      },
      2ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 2ms);
  EXPECT_GT(polls, 64);
}

TEST(SpinTest, NoSpinWhereThereIsOneCpu) {
  EXPECT_EQ(handOffSpin() == 0ns, std::thread::hardware_concurrency() <= 1);
}

}  // namespace
}  // namespace rr
