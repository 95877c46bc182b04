#include "roadrunner/sys/interrupt.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace rr::sys {
namespace {

bool blockedHere(int signal) {
  sigset_t mask;
  pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  return sigismember(&mask, signal) == 1;
}

TEST(InterruptWatcherTest, TakesSigintAndSigtermOnItsOwnThreadAndRestoresTheMask) {
  ASSERT_FALSE(blockedHere(SIGTERM));
  std::atomic<int> taken{0};
  std::atomic<int> count{0};
  {
    const InterruptWatcher watcher([&](int signal) {
      taken = signal;
      ++count;
    });
    EXPECT_TRUE(blockedHere(SIGINT));
    EXPECT_TRUE(blockedHere(SIGTERM));
    for (const int signal : {SIGTERM, SIGINT}) {
      const int before = count.load();
      ASSERT_EQ(::kill(::getpid(), signal), 0);  // the process's: only the watcher takes it
      for (int i = 0; i < 200 && count.load() == before; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      EXPECT_EQ(taken.load(), signal);
    }
  }
  EXPECT_EQ(count.load(), 2);
  EXPECT_FALSE(blockedHere(SIGTERM)) << "the mask is the constructing thread's again";
  EXPECT_FALSE(blockedHere(SIGINT));
}

}  // namespace
}  // namespace rr::sys
