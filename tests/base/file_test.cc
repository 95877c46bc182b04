#include "roadrunner/base/file.h"

#include <gtest/gtest.h>

#include "../testing/subprocess.h"

namespace rr {
namespace {

TEST(FileTest, ReadingAMissingFileNamesThePath) {
  const auto r = readFile("/nonexistent/roadrunner.wasm");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, std::errc::no_such_file_or_directory);
  EXPECT_NE(r.error().message().find("/nonexistent/roadrunner.wasm"), std::string::npos);
}

TEST(FileTest, AtomicWriteThenReadRoundTrips) {
  const testing::TempDir dir;
  const std::string text = "payload";
  const auto bytes = std::as_bytes(std::span(text.data(), text.size()));
  ASSERT_TRUE(writeFileAtomic(dir.file("f"), bytes).has_value());
  const auto back = readFile(dir.file("f"));
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_TRUE(std::ranges::equal(*back, bytes));
}

TEST(FileTest, AtomicWriteIntoMissingDirectoryFails) {
  const auto r = writeFileAtomic("/nonexistent/dir/f", {});
  EXPECT_FALSE(r.has_value());
}

}  // namespace
}  // namespace rr
