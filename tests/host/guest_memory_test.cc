#include "roadrunner/host/guest_memory.h"

#include <vector>

#include <gtest/gtest.h>

namespace rr::host {
namespace {

TEST(GuestSliceTest, AcceptsRangesEndingExactlyAtTheEnd) {
  std::vector<std::byte> mem(4096);
  EXPECT_TRUE(guestSlice(mem, 0, 4096).has_value());
  EXPECT_TRUE(guestSlice(mem, 4096, 0).has_value());
  EXPECT_TRUE(guestSlice(mem, 4095, 1).has_value());
}

TEST(GuestSliceTest, RejectsRangesPastTheEndWithoutOverflowing) {
  std::vector<std::byte> mem(4096);
  EXPECT_FALSE(guestSlice(mem, 4096, 1).has_value());
  EXPECT_FALSE(guestSlice(mem, 4097, 0).has_value());
  EXPECT_FALSE(guestSlice(mem, 1, UINT32_MAX).has_value());
  EXPECT_FALSE(guestSlice(mem, UINT32_MAX, UINT32_MAX).has_value());
}

TEST(GuestSliceTest, EmptyMemoryHoldsOnlyTheEmptyRangeAtZero) {
  EXPECT_TRUE(guestSlice({}, 0, 0).has_value());
  EXPECT_FALSE(guestSlice({}, 0, 1).has_value());
}

}  // namespace
}  // namespace rr::host
