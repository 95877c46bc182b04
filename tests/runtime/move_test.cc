// Move sends (send_move) on real WasmEdge with real guests: the receiver gets the bytes, the
// sender's range reads as zeros, a later write on either side never reaches the other, and the
// host's counts say what moved and what was copied: in embedded mode whole pages move when both
// buffers are page-aligned and are copied when their offsets differ; in kernel and network mode
// the bytes are copied and the sender's range cleared. Payloads differ on every run.

#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "roadrunner/runtime/runner.h"

#include "../testing/modes.h"
#include "../testing/report.h"

namespace rr::runtime {
namespace {

Workflow moveWorkflow(EdgeMode mode, std::vector<std::string> args) {
  return {.functions = {{.name = "sender", .wasm = RR_GUEST_MOVE_SENDER, .args = std::move(args)},
                        {.name = "keeper", .wasm = RR_GUEST_KEEPER_RECEIVER}},
          .edges = {{.from = "sender", .to = "keeper", .mode = mode}}};
}

class MoveTest : public ::testing::TestWithParam<EdgeMode> {};

TEST_P(MoveTest, PageAlignedPayloadsArriveAndLeaveZerosBehind) {
  for (const std::uint32_t size : {4096U, 3U << 20, 5000U}) {
    SCOPED_TRACE(size);
    auto r = runWorkflow(
        moveWorkflow(GetParam(), {"keeper", std::to_string(size), testing::freshSeed(), "0", "1"}),
        testing::servedRunOptions());
    ASSERT_TRUE(r.has_value()) << r.error().message();
    const InstanceReport& sender = testing::instanceNamed(*r, "sender");
    ASSERT_EQ(sender.exit_code, 0)
        << "101: wrong hash, 102: range not cleared, 103: the receiver's payload changed after "
           "the sender wrote, 104: rr_move_buffer not huge-page aligned, 7: the receiver's "
           "rr_alloc buffer not huge-page aligned (RR_EHANDLER)";
    if (GetParam() == EdgeMode::kEmbedded) {
      const std::uint64_t whole_pages = std::uint64_t{size} / 4096 * 4096;
      EXPECT_EQ(sender.moved_bytes, whole_pages);
      EXPECT_EQ(sender.copied_bytes, size - whole_pages + 5)
          << "the partial last page, then the 5-byte CHECK";
      EXPECT_EQ(sender.copies, 1U) << "the CHECK's";
    } else {
      EXPECT_EQ(sender.moved_bytes, 0U) << "pages move inside one process only";
    }
  }
}

TEST_P(MoveTest, BuffersAtDifferentOffsetsInAPageAreCopied) {
  const std::uint32_t size = 1U << 20;
  auto r = runWorkflow(
      moveWorkflow(GetParam(), {"keeper", std::to_string(size), testing::freshSeed(), "100", "1"}),
      testing::servedRunOptions());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  const InstanceReport& sender = testing::instanceNamed(*r, "sender");
  ASSERT_EQ(sender.exit_code, 0);
  EXPECT_EQ(sender.moved_bytes, 0U);
  if (GetParam() == EdgeMode::kEmbedded) {
    EXPECT_EQ(sender.copied_bytes, size + 5) << "the payload, then the 5-byte CHECK";
    EXPECT_EQ(sender.copies, 2U);
  }
}

// The C++ veneer's MoveBuffer and the Rust SDK's PageBuf: handed over and taken back, refilled
// for each of three rounds.
TEST_P(MoveTest, TheCppAndRustBuffersMoveAndComeBackEmptied) {
  const std::uint32_t size = 3U << 20;
  for (const char* wasm : {RR_GUEST_CPP_MOVE_SENDER, RR_GUEST_RUST_MOVE_SENDER}) {
    SCOPED_TRACE(wasm);
    const Workflow w{
        .functions = {{.name = "sender",
                       .wasm = wasm,
                       .args = {"keeper", std::to_string(size), testing::freshSeed(), "3"}},
                      {.name = "keeper", .wasm = RR_GUEST_KEEPER_RECEIVER}},
        .edges = {{.from = "sender", .to = "keeper", .mode = GetParam()}}};
    auto r = runWorkflow(w, testing::servedRunOptions());
    ASSERT_TRUE(r.has_value()) << r.error().message();
    const InstanceReport& sender = testing::instanceNamed(*r, "sender");
    ASSERT_EQ(sender.exit_code, 0) << "101: wrong hash, 102: the buffer came back with bytes in "
                                      "it, 104: not aligned to a huge page";
    if (GetParam() == EdgeMode::kEmbedded) {
      EXPECT_EQ(sender.moved_bytes, 3ULL * size);
      EXPECT_EQ(sender.copies, 0U);
    } else {
      EXPECT_EQ(sender.moved_bytes, 0U);
    }
  }
}

TEST_P(MoveTest, HostileRangesGetStatuses) {
  EXPECT_EQ(testing::exitCodes(moveWorkflow(GetParam(), {"keeper", "hostile"})).at("sender"), 0)
      << "111: out of memory not EFAULT, 112: overlap not EINVAL, 113: not cleared, 114: empty, "
         "115: reply length inside the payload not EINVAL";
}

INSTANTIATE_TEST_SUITE_P(Modes, MoveTest, testing::everyMode(), testing::modeTestName);

/// This process's resident set (`field` "VmRSS:") or its peak since resetPeak() ("VmHWM:").
std::uint64_t residentBytes(const std::string& field) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with(field)) {
      return std::stoull(line.substr(field.size())) << 10U;
    }
  }
  return 0;
}

void resetPeak() { std::ofstream("/proc/self/clear_refs") << "5"; }

// A run of large moves holds one payload's memory at a time: a moved payload's pages go when
// its handler returns, before the sender fills the next one. Keeping them until the next move
// replaced them held two payloads at once.
TEST(MoveMemoryTest, ARunOfMovesHoldsOnePayloadAtATime) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "a sanitizer's shadow memory counts in the resident set";
#endif
  constexpr std::uint32_t kSize = 96U << 20;
  const Workflow w{
      .functions = {{.name = "sender",
                     .wasm = RR_GUEST_CPP_MOVE_SENDER,
                     .args = {"keeper", std::to_string(kSize), testing::freshSeed(), "3"}},
                    {.name = "keeper", .wasm = RR_GUEST_KEEPER_RECEIVER}},
      .edges = {{.from = "sender", .to = "keeper", .mode = EdgeMode::kEmbedded}}};
  resetPeak();
  const std::uint64_t before = residentBytes("VmRSS:");
  auto r = runWorkflow(w, testing::servedRunOptions());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  ASSERT_EQ(testing::instanceNamed(*r, "sender").exit_code, 0);
  ASSERT_EQ(testing::instanceNamed(*r, "sender").moved_bytes, 3ULL * kSize);
  const std::uint64_t grew = residentBytes("VmHWM:") - before;
  EXPECT_LT(grew, kSize + kSize / 2) << "peak " << (grew >> 20U) << " MiB over the baseline for "
                                     << (kSize >> 20U) << " MiB payloads";
}

// Four senders moving into four receivers at once share the run's one userfaultfd.
TEST(MoveConcurrencyTest, SendersMovingAtOnceShareTheRunsMover) {
  Workflow w;
  for (int i = 0; i < 4; ++i) {
    const std::string n = std::to_string(i);
    w.functions.push_back(
        {.name = "sender" + n,
         .wasm = RR_GUEST_MOVE_SENDER,
         .args = {"keeper" + n, std::to_string(2U << 20), testing::freshSeed() + n, "0", "1"}});
    w.functions.push_back({.name = "keeper" + n, .wasm = RR_GUEST_KEEPER_RECEIVER});
    w.edges.push_back({.from = "sender" + n, .to = "keeper" + n, .mode = EdgeMode::kEmbedded});
  }
  auto r = runWorkflow(w, testing::servedRunOptions());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  for (int i = 0; i < 4; ++i) {
    const InstanceReport& sender = testing::instanceNamed(*r, "sender" + std::to_string(i));
    EXPECT_EQ(sender.exit_code, 0) << i;
    EXPECT_EQ(sender.moved_bytes, 2U << 20) << i;
  }
}

}  // namespace
}  // namespace rr::runtime
