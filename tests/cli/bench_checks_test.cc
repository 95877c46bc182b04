// The benchmark's `verified` and the suite's transfer checks can fail. With the data path broken
// on purpose (RR_CORRUPT_FOR_TEST, which test builds honour: host/corrupt_for_test.h), every
// Roadrunner mode's chain and fan-out rows read NO and `bench` exits 1, and the suite's transfer
// tests fail in embedded, kernel and network mode. Intact, everything passes.

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../testing/subprocess.h"

namespace rr {
namespace {

const std::string kCache = "RR_CACHE_DIR=" + std::string(RR_BINARY_DIR) + "/test-aot-cache";

// Chain and fan-out, 64 KiB, in every Roadrunner mode; the rows of the JSON it wrote.
nlohmann::json bench(const testing::TempDir& dir, const std::string& corruption, int* exit_code) {
  const testing::Outcome o = testing::run(
      {RR_CLI, "bench", "--modes", "embedded,kernel,kernel-memfd,network", "--sizes", "64K",
       "--runs", "3", "--fanout", "2", "--fanout-size", "64K", "--json", dir.file("out.json")},
      {kCache, "RR_CORRUPT_FOR_TEST=" + corruption});
  *exit_code = o.exit_code;
  const auto parsed = nlohmann::json::parse(testing::slurp(dir.file("out.json")), nullptr, false);
  return parsed.is_object() ? parsed.value("results", nlohmann::json::array())
                            : nlohmann::json::array();
}

TEST(BenchChecksTest, AnIntactDataPathIsVerifiedInEveryMode) {
  const testing::TempDir dir;
  int exit_code = -1;
  const nlohmann::json rows = bench(dir, "", &exit_code);
  EXPECT_EQ(exit_code, 0);
  ASSERT_EQ(rows.size(), 8U) << "chain and fan-out for four systems";
  for (const auto& row : rows) {
    EXPECT_TRUE(row.value("verified", false)) << row.dump();
  }
}

class BrokenDataPathTest : public ::testing::TestWithParam<std::string> {};

TEST_P(BrokenDataPathTest, FailsTheBenchInEveryModeAndWorkload) {
  const testing::TempDir dir;
  int exit_code = -1;
  const nlohmann::json rows = bench(dir, GetParam(), &exit_code);
  EXPECT_EQ(exit_code, 1) << "a transfer that was not verified fails the bench";
  ASSERT_EQ(rows.size(), 8U);
  for (const auto& row : rows) {
    EXPECT_FALSE(row.value("verified", true)) << GetParam() << ": " << row.dump();
  }
}

TEST_P(BrokenDataPathTest, FailsTheSuitesTransferTestsInEveryMode) {
  const testing::Outcome o = testing::run(
      {std::string(RR_BINARY_DIR) + "/tests/runtime_test",
       "--gtest_filter=Sizes/TransferSizeTest.*:KernelModeTest.BytesArrive*:NetworkModeTest."
       "ChainOverTcp*"},
      {kCache, "RR_CORRUPT_FOR_TEST=" + GetParam()});
  EXPECT_NE(o.exit_code, 0);
  std::set<std::string> failed_suites;
  std::istringstream lines(o.out);
  for (std::string line; std::getline(lines, line);) {
    for (const std::string suite : {"TransferSizeTest.", "KernelModeTest.", "NetworkModeTest."}) {
      if (line.starts_with("[  FAILED  ] ") && line.find(suite) != std::string::npos) {
        failed_suites.insert(suite);
      }
    }
  }
  EXPECT_EQ(failed_suites.size(), 3U) << GetParam() << ":\n" << o.out;
}

INSTANTIATE_TEST_SUITE_P(Corruptions, BrokenDataPathTest,
                         ::testing::Values("skip", "stale", "flip"));

}  // namespace
}  // namespace rr
