#include "roadrunner/base/wasm_magic.h"

#include <cstddef>
#include <vector>

#include <gtest/gtest.h>

namespace rr {
namespace {

std::vector<std::byte> bytes(std::initializer_list<unsigned> values) {
  std::vector<std::byte> out;
  for (const unsigned v : values) {
    out.push_back(static_cast<std::byte>(v));
  }
  return out;
}

TEST(WasmMagicTest, AcceptsTheMagicFollowedByAVersion) {
  EXPECT_TRUE(startsLikeWasm(bytes({0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00})));
  EXPECT_TRUE(startsLikeWasm(bytes({0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01})));
}

TEST(WasmMagicTest, RefusesOtherBytesAndHeadersCutShort) {
  EXPECT_FALSE(startsLikeWasm({}));
  EXPECT_FALSE(startsLikeWasm(bytes({0x00, 0x61, 0x73, 0x6d})));
  EXPECT_FALSE(startsLikeWasm(bytes({0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00})));
  EXPECT_FALSE(startsLikeWasm(bytes({0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00})));
  EXPECT_FALSE(startsLikeWasm(bytes({0x23, 0x21, 0x2f, 0x62, 0x69, 0x6e, 0x2f, 0x73})));
}

}  // namespace
}  // namespace rr
