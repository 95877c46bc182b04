// The baselines' UTF-8 validation (bench/guests/bench_utf8.hpp, the paper's "serialization"):
// valid text passes, and a bad byte anywhere fails it, on either side of the word-at-a-time
// ASCII fast paths.

#include <string>

#include <gtest/gtest.h>

#include "../../bench/guests/bench_utf8.hpp"

namespace {

TEST(Utf8Test, ValidTextPasses) {
  EXPECT_TRUE(bench::validUtf8(""));
  EXPECT_TRUE(bench::validUtf8(std::string(1000, 'a')));
  EXPECT_TRUE(bench::validUtf8(
      "Artifact for middleware evaluation \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
}

TEST(Utf8Test, ABadByteAtAnyOffsetFails) {
  for (std::size_t at = 0; at < 80; ++at) {
    std::string s(80, 'x');
    s[at] = '\x80';  // a continuation byte with no lead
    EXPECT_FALSE(bench::validUtf8(s)) << "at " << at;
  }
}

TEST(Utf8Test, MalformedSequencesFail) {
  for (const std::string bad : {"\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                                "\xF5\x80\x80\x80", "\xC3", "\xE2\x82", "\xFF"}) {
    EXPECT_FALSE(bench::validUtf8(std::string(40, 'a') + bad)) << "after a fast path";
    EXPECT_FALSE(bench::validUtf8(bad + std::string(40, 'a'))) << "before one";
  }
}

}  // namespace
