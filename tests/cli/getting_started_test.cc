// docs/getting-started.md and the SDK pages, run as written (testing/console_page.h). Each page's
// code blocks must equal the files in examples/first/ they name.

#include <string>

#include <gtest/gtest.h>

#include "../testing/console_page.h"

namespace rr {
namespace {

using testing::Block;

const std::string kPage = std::string(RR_SOURCE_DIR) + "/docs/getting-started.md";

TEST(GettingStartedTest, CodeOnThePageIsTheCodeInExamples) {
  const auto blocks = testing::fencedBlocks(testing::slurp(kPage));
  int checked = 0;
  for (const Block& b : blocks) {
    if (b.language == "c" && !b.lines.empty() && b.lines[0].starts_with("// examples/")) {
      const std::string file = std::string(RR_SOURCE_DIR) + "/" + b.lines[0].substr(3);
      EXPECT_EQ(testing::join(b.lines, 1), testing::slurp(file)) << file;
      ++checked;
    } else if (b.language == "json") {
      const std::string file = std::string(RR_SOURCE_DIR) + "/examples/first/first-embedded.json";
      EXPECT_EQ(testing::join(b.lines), testing::slurp(file)) << file;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 3);
}

TEST(GettingStartedTest, EveryCommandRunsAsShown) { testing::runPage(kPage); }

}  // namespace
}  // namespace rr
