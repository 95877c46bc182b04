// GuestCounters: names are checked, at most kMaxNames exist, and a reader on another thread
// only ever sees whole names with counts that never go back.

#include "roadrunner/host/guest_counters.h"

#include <atomic>
#include <map>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace rr::host {
namespace {

TEST(GuestCountersTest, NamesAreCheckedAndBounded) {
  GuestCounters c;
  EXPECT_EQ(c.add("", 1), Status::kInvalid);
  EXPECT_EQ(c.add("a-b", 1), Status::kInvalid);
  EXPECT_EQ(c.add(std::string(65, 'x'), 1), Status::kInvalid);
  EXPECT_EQ(c.add(std::string(64, 'x'), 1), Status::kOk);
  for (std::size_t i = 1; i < GuestCounters::kMaxNames; ++i) {
    ASSERT_EQ(c.add("n" + std::to_string(i), i), Status::kOk);
  }
  EXPECT_EQ(c.add("extra", 1), Status::kNoMemory);
  EXPECT_EQ(c.add("n1", 10), Status::kOk) << "an existing name still counts";
  const auto snap = c.snapshot();
  ASSERT_EQ(snap.size(), GuestCounters::kMaxNames);
  EXPECT_EQ(snap[1], (std::pair<std::string, std::uint64_t>{"n1", 11}));
}

TEST(GuestCountersTest, AReaderSeesWholeNamesAndCountsThatOnlyGrow) {
  GuestCounters c;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int round = 0; round < 2000; ++round) {
      for (std::size_t i = 0; i < GuestCounters::kMaxNames; ++i) {
        (void)c.add("counter_number_" + std::to_string(i), 1);
      }
    }
    done = true;
  });
  std::map<std::string, std::uint64_t> last;
  while (!done) {
    for (const auto& [name, value] : c.snapshot()) {
      ASSERT_TRUE(name.starts_with("counter_number_")) << name;
      ASSERT_GE(value, last[name]) << name;
      last[name] = value;
    }
  }
  writer.join();
  for (const auto& [name, value] : c.snapshot()) {
    EXPECT_EQ(value, 2000U) << name;
  }
}

}  // namespace
}  // namespace rr::host
