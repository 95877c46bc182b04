#pragma once

// A documentation page run as written: every `$ ` line of its console blocks, in order, in one
// shell, each command's output checked against the lines the page shows under it ("…" stands for
// anything).
//
// The shell starts in a stand-in for the clone (guest/, examples/ and scripts/ of this checkout,
// and bin/roadrunner, which is this build's binary), with HOME in a temporary directory.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "subprocess.h"

namespace rr::testing {

struct Step {
  std::string command;
  std::vector<std::string> expected;  // lines the output must contain, "…" as a wildcard
};

struct Block {
  std::string language;
  std::vector<std::string> lines;
};

inline std::vector<Block> fencedBlocks(const std::string& page) {
  std::vector<Block> blocks;
  std::istringstream in(page);
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.starts_with("```")) {
      if (!inside) {
        blocks.push_back({.language = line.substr(3), .lines = {}});
      }
      inside = !inside;
    } else if (inside) {
      blocks.back().lines.push_back(line);
    }
  }
  return blocks;
}

inline std::vector<Step> steps(const std::vector<Block>& blocks) {
  std::vector<Step> out;
  for (const Block& b : blocks) {
    if (b.language != "console") {
      continue;
    }
    for (const std::string& line : b.lines) {
      if (line.starts_with("$ ")) {
        out.push_back({.command = line.substr(2), .expected = {}});
      } else if (!out.empty() && !line.empty()) {
        out.back().expected.push_back(line);
      }
    }
  }
  return out;
}

// Whether `line` holds the pieces of `pattern` between its "…"s, in order.
inline bool matches(const std::string& line, const std::string& pattern) {
  static const std::string kAny = "…";
  std::size_t at = 0;
  std::size_t from = 0;
  while (true) {
    const std::size_t cut = pattern.find(kAny, from);
    const std::string piece = pattern.substr(from, cut == std::string::npos ? cut : cut - from);
    const std::size_t found = line.find(piece, at);
    if (found == std::string::npos || (from == 0 && cut != 0 && found != 0)) {
      return false;
    }
    at = found + piece.size();
    if (cut == std::string::npos) {
      return true;
    }
    from = cut + kAny.size();
  }
}

inline bool outputHas(const std::string& output, const std::string& pattern) {
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    if (matches(line, pattern)) {
      return true;
    }
  }
  return false;
}

inline std::string join(const std::vector<std::string>& lines, std::size_t from = 0) {
  std::string out;
  for (std::size_t i = from; i < lines.size(); ++i) {
    out += lines[i] + "\n";
  }
  return out;
}

/// Runs the page's commands; each must exit 0 and print what the page shows under it.
inline void runPage(const std::string& page) {
  const auto page_steps = steps(fencedBlocks(slurp(page)));
  ASSERT_GE(page_steps.size(), 3U);
  EXPECT_LE(page_steps.size(), 10U) << "the page promises at most ten commands";

  const TempDir clone;
  const TempDir home;
  for (const char* dir : {"guest", "examples", "scripts"}) {
    std::filesystem::create_directory_symlink(std::string(RR_SOURCE_DIR) + "/" + dir,
                                              clone.file(dir));
  }
  std::filesystem::create_directory(clone.file("bin"));
  std::filesystem::create_symlink(RR_CLI, clone.file("bin/roadrunner"));

  std::string script = "cd '" + clone.path() + "'\n";
  for (std::size_t i = 0; i < page_steps.size(); ++i) {
    script += page_steps[i].command + "\necho \"@@step " + std::to_string(i) + " $?\"\n";
  }
  const std::string script_path = home.file("page.sh");
  std::ofstream(script_path) << script;
  const Outcome o = run(
      {"/bin/bash", "-c", "exec bash '" + script_path + "' 2>&1"},
      {"HOME=" + home.path(), "RR_CACHE_DIR=" + std::string(RR_BINARY_DIR) + "/test-aot-cache"});

  std::istringstream in(o.out);
  std::string line;
  std::string output;
  std::size_t step = 0;
  while (std::getline(in, line)) {
    if (!line.starts_with("@@step ")) {
      output += line + "\n";
      continue;
    }
    ASSERT_LT(step, page_steps.size());
    const Step& s = page_steps[step];
    EXPECT_EQ(line, "@@step " + std::to_string(step) + " 0") << "$ " << s.command << "\n" << output;
    for (const std::string& want : s.expected) {
      EXPECT_TRUE(outputHas(output, want))
          << "$ " << s.command << "\nwanted: " << want << "\ngot:\n"
          << output;
    }
    output.clear();
    ++step;
  }
  EXPECT_EQ(step, page_steps.size())
      << "the page's script stopped early (exit " << o.exit_code << "):\n"
      << output << o.err;
}

}  // namespace rr::testing
