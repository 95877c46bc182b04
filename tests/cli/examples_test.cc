// Every example workflow runs from the build's examples/ directory, and docs/workflows.md shows
// each one exactly as its file says.

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../testing/subprocess.h"

namespace rr {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> exampleWorkflows() {
  std::vector<fs::path> out;
  for (const auto& entry :
       fs::recursive_directory_iterator(std::string(RR_BINARY_DIR) + "/examples")) {
    if (entry.path().extension() == ".json") {
      out.push_back(entry.path());
    }
  }
  return out;
}

// The ```json blocks of a page.
std::vector<std::string> jsonBlocks(const std::string& page) {
  std::vector<std::string> blocks;
  std::istringstream in(page);
  std::string line;
  std::string* block = nullptr;
  while (std::getline(in, line)) {
    if (block == nullptr && line == "```json") {
      block = &blocks.emplace_back();
    } else if (block != nullptr && line == "```") {
      block = nullptr;
    } else if (block != nullptr) {
      *block += line + "\n";
    }
  }
  return blocks;
}

TEST(ExamplesTest, EveryExampleWorkflowRuns) {
  const auto workflows = exampleWorkflows();
  EXPECT_GE(workflows.size(), 5U);
  for (const fs::path& w : workflows) {
    const testing::Outcome o =
        testing::run({RR_CLI, "up", w.string()},
                     {"RR_CACHE_DIR=" + std::string(RR_BINARY_DIR) + "/test-aot-cache"});
    EXPECT_EQ(o.exit_code, 0) << w << "\n" << o.out << o.err;
  }
}

// A workflow block on the page is an example file, byte for byte, unless it is the format's
// outline or the remote receiver's, which needs a node of its own.
TEST(ExamplesTest, TheWorkflowsPageShowsTheExampleFiles) {
  std::vector<std::string> files;
  for (const fs::path& w : exampleWorkflows()) {
    files.push_back(testing::slurp(w.string()));
  }
  int shown = 0;
  for (const std::string& block :
       jsonBlocks(testing::slurp(std::string(RR_SOURCE_DIR) + "/docs/workflows.md"))) {
    const auto name = nlohmann::json::parse(block, nullptr, false).value("name", "");
    if (name == "optional label" || name == "count-remote") {
      continue;
    }
    EXPECT_NE(std::ranges::find(files, block), files.end())
        << "docs/workflows.md shows a workflow that is no example file:\n"
        << block;
    ++shown;
  }
  EXPECT_GE(shown, 5);
}

}  // namespace
}  // namespace rr
