#include "roadrunner/base/names.h"

#include <string>

#include <gtest/gtest.h>

namespace rr {
namespace {

TEST(NamesTest, AcceptsOneToSixtyFourOfTheAllowedCharacters) {
  for (const char* name : {"a", "Z", "0", "_", ".", "-", "fan_worker-2.v1", "A.b-C_d"}) {
    EXPECT_TRUE(validFunctionName(name)) << name;
  }
  EXPECT_TRUE(validFunctionName(std::string(64, 'x')));
}

TEST(NamesTest, RefusesEmptyTooLongAndOtherCharacters) {
  EXPECT_FALSE(validFunctionName(""));
  EXPECT_FALSE(validFunctionName(std::string(65, 'x')));
  for (const char* name : {"a b", "a/b", "a:b", "a=b", "a,b", "é", "a\n", "a\tb", "*"}) {
    EXPECT_FALSE(validFunctionName(name)) << name;
  }
  EXPECT_FALSE(validFunctionName(std::string_view("a\0b", 3)));
}

}  // namespace
}  // namespace rr
