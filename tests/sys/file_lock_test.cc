// FileLock: one holder at a time, a wait that ends at its deadline, and a lock freed with its
// holder.

#include "roadrunner/sys/file_lock.h"

#include <chrono>
#include <future>

#include <gtest/gtest.h>

#include "../testing/subprocess.h"

namespace rr::sys {
namespace {

using std::chrono::milliseconds;

TEST(FileLockTest, ASecondHolderWaitsUntilTheFirstLetsGo) {
  const testing::TempDir dir;
  const std::string path = dir.path() + "/entry.lock";
  auto first = std::optional<FileLock>(FileLock::acquire(path, milliseconds(0)).value());
  auto second =
      std::async(std::launch::async, [&] { return FileLock::acquire(path, milliseconds(10'000)); });
  EXPECT_EQ(second.wait_for(milliseconds(300)), std::future_status::timeout)
      << "the lock was taken while its first holder held it";
  first.reset();
  ASSERT_EQ(second.wait_for(milliseconds(5'000)), std::future_status::ready);
  auto got = second.get();
  EXPECT_TRUE(got.has_value()) << got.error().message();
}

TEST(FileLockTest, AWaitEndsAtItsDeadlineNamingTheFile) {
  const testing::TempDir dir;
  const std::string path = dir.path() + "/entry.lock";
  auto held = FileLock::acquire(path, milliseconds(0));
  ASSERT_TRUE(held.has_value()) << held.error().message();
  const auto start = std::chrono::steady_clock::now();
  auto late = FileLock::acquire(path, milliseconds(200));
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().code, Errc::kTimedOut);
  EXPECT_NE(late.error().message().find(path), std::string::npos) << late.error().message();
  EXPECT_GE(waited, milliseconds(200));
  EXPECT_LT(waited, milliseconds(2'000));
}

TEST(FileLockTest, AMissingDirectoryIsAnErrorNamingThePath) {
  auto lock = FileLock::acquire("/nonexistent-roadrunner/entry.lock", milliseconds(0));
  ASSERT_FALSE(lock.has_value());
  EXPECT_NE(lock.error().message().find("/nonexistent-roadrunner"), std::string::npos);
}

}  // namespace
}  // namespace rr::sys
