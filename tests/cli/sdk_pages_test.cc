// The SDK pages (docs/sdk-*.md), run as written (testing/console_page.h). Each page's code blocks
// that name a file in examples/ on their first line must equal that file.

#include <string>

#include <gtest/gtest.h>

#include "../testing/console_page.h"

namespace rr {
namespace {

// The code blocks in `language` whose first line is a comment naming a file under examples/.
int checkCodeBlocks(const std::string& page, const std::string& language) {
  int checked = 0;
  for (const testing::Block& b : testing::fencedBlocks(testing::slurp(page))) {
    if (b.language == language && !b.lines.empty() && b.lines[0].starts_with("// examples/")) {
      const std::string file = std::string(RR_SOURCE_DIR) + "/" + b.lines[0].substr(3);
      EXPECT_EQ(testing::join(b.lines, 1), testing::slurp(file)) << file;
      ++checked;
    }
  }
  return checked;
}

const std::string kRustPage = std::string(RR_SOURCE_DIR) + "/docs/sdk-rust.md";

TEST(SdkRustPageTest, CodeOnThePageIsTheCodeInExamples) {
  EXPECT_EQ(checkCodeBlocks(kRustPage, "rust"), 2);
}

TEST(SdkRustPageTest, EveryCommandRunsAsShown) { testing::runPage(kRustPage); }

const std::string kCPage = std::string(RR_SOURCE_DIR) + "/docs/sdk-c.md";

TEST(SdkCPageTest, EveryCommandRunsAsShown) { testing::runPage(kCPage); }

}  // namespace
}  // namespace rr
