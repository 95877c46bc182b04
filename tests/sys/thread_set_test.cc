// ThreadSet: a bound on running threads, and finished ones joined without being asked.

#include "roadrunner/sys/thread_set.h"

#include <atomic>
#include <chrono>
#include <future>
#include <latch>

#include <gtest/gtest.h>

namespace rr::sys {
namespace {

bool waitUntil(const std::function<bool()>& done) {
  for (int i = 0; i < 500; ++i) {
    if (done()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

TEST(ThreadSetTest, RefusesTasksOverTheLimitUntilOneEnds) {
  ThreadSet set(2);
  std::promise<void> release;
  const std::shared_future<void> go = release.get_future().share();
  std::latch started(2);
  for (int i = 0; i < 2; ++i) {
    auto ok = set.tryStart([&started, go] {
      started.count_down();
      go.wait();
    });
    ASSERT_TRUE(ok.has_value() && *ok);
  }
  started.wait();
  auto refused = set.tryStart([] {});
  ASSERT_TRUE(refused.has_value());
  EXPECT_FALSE(*refused) << "a third task while two run";
  release.set_value();
  EXPECT_TRUE(waitUntil([&] { return set.size() == 0; })) << "finished threads are joined";
  auto again = set.tryStart([] {});
  EXPECT_TRUE(again.has_value() && *again);
}

TEST(ThreadSetTest, ManyShortTasksLeaveNoThreadBehind) {
  ThreadSet set(4);
  std::atomic<int> ran{0};
  for (int i = 0; i < 2000; ++i) {
    Result<bool> ok = false;
    // Tasks end at once; wait for room rather than count a refusal as a failure.
    while ((ok = set.tryStart([&ran] { ran.fetch_add(1); })) && !*ok) {
      std::this_thread::yield();
    }
    ASSERT_TRUE(ok.has_value()) << ok.error().message();
    ASSERT_LE(set.size(), set.limit());
  }
  EXPECT_TRUE(waitUntil([&] { return set.size() == 0; }));
  set.joinAll();
  EXPECT_EQ(ran.load(), 2000);
}

TEST(ThreadSetTest, JoinAllWaitsForRunningTasksAndRefusesNewOnes) {
  ThreadSet set(8);
  std::atomic<bool> finished{false};
  ASSERT_TRUE(set.tryStart([&finished] {
                   std::this_thread::sleep_for(std::chrono::milliseconds(100));
                   finished = true;
                 })
                  .value_or(false));
  set.joinAll();
  EXPECT_TRUE(finished.load());
  EXPECT_EQ(set.size(), 0U);
  EXPECT_FALSE(set.tryStart([] {}).value_or(true));
}

}  // namespace
}  // namespace rr::sys
