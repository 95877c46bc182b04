// Every example workflow runs from the build's examples/ directory, and docs/workflows.md shows
// each one exactly as its file says.

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../testing/serve_process.h"
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
    if (w.filename() == "count-remote.json") {
      continue;  // its receiver runs first: RemoteReceiverExampleRunsAgainstAServeStartedFirst
    }
    const testing::Outcome o =
        testing::run({RR_CLI, "up", w.string()},
                     {"RR_CACHE_DIR=" + std::string(RR_BINARY_DIR) + "/test-aot-cache"});
    EXPECT_EQ(o.exit_code, 0) << w << "\n" << o.out << o.err;
  }
}

// A workflow block on the page is an example file, byte for byte, unless it is the format's
// outline.
// count-remote.json, as docs/workflows.md runs it: the counter served first with the secret,
// then the workflow, whose edge names the counter's address (here the port the server got).
TEST(ExamplesTest, RemoteReceiverExampleRunsAgainstAServeStartedFirst) {
  const testing::TempDir dir;
  const std::string text = dir.path() + "/text";
  fs::copy(std::string(RR_BINARY_DIR) + "/examples/text", text, fs::copy_options::recursive);
  testing::writeText(text + "/rr.secret", "a-secret-the-two-sides-share\n");
  const std::string cache = "RR_CACHE_DIR=" + std::string(RR_BINARY_DIR) + "/test-aot-cache";
  const testing::ServeProcess counter(RR_CLI,
                                      {text + "/text_counter.wasm", "--name", "counter", "--listen",
                                       "tcp:127.0.0.1:0", "--secret-file", text + "/rr.secret"},
                                      {}, {cache});
  ASSERT_TRUE(counter.ready());
  std::string workflow = testing::slurp(text + "/count-remote.json");
  const std::string shown = "tcp:127.0.0.1:7000";
  ASSERT_NE(workflow.find(shown), std::string::npos);
  workflow.replace(workflow.find(shown), shown.size(), counter.address());
  testing::writeText(text + "/count-remote.json", workflow);
  const testing::Outcome o = testing::run({RR_CLI, "up", text + "/count-remote.json"}, {cache});
  EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("counter says: 8 words"), std::string::npos) << o.out << o.err;
}

TEST(ExamplesTest, TheWorkflowsPageShowsTheExampleFiles) {
  std::vector<std::string> files;
  for (const fs::path& w : exampleWorkflows()) {
    files.push_back(testing::slurp(w.string()));
  }
  int shown = 0;
  for (const std::string& block :
       jsonBlocks(testing::slurp(std::string(RR_SOURCE_DIR) + "/docs/workflows.md"))) {
    const auto name = nlohmann::json::parse(block, nullptr, false).value("name", "");
    if (name == "optional label") {
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
