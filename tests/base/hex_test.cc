#include "roadrunner/base/hex.h"

#include <array>
#include <cstdint>

#include <gtest/gtest.h>

#include "roadrunner/base/sha256.h"

namespace rr {
namespace {

TEST(HexTest, EncodesEachByteAsTwoLowerCaseDigits) {
  EXPECT_EQ(toHex({}), "");
  const std::array<std::uint8_t, 5> bytes{0x00, 0x0f, 0xa0, 0x7e, 0xff};
  EXPECT_EQ(toHex(bytes), "000fa07eff");
}

TEST(HexTest, EncodesADigest) {
  const Sha256 empty = sha256({});
  EXPECT_EQ(toHex(empty), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace rr
