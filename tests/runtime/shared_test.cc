// Shared buffers (share_pages, rr_shared_buffer) on real WasmEdge with real guests: a send from
// one maps the payload's whole pages into every receiver of a group, copy-on-write, and copies
// only the partial page at its end; each receiver checks every byte, then writes its buffer,
// and neither the sender nor another receiver sees those writes; the sender's writes after the
// send reach no receiver. Kernel edges map them too, through the memfd passed to the serving
// process (from RunOptions::memfd_threshold); network edges copy, with the same results.
// Payloads differ on every run and every round.

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "roadrunner/runtime/runner.h"

#include "../testing/modes.h"
#include "../testing/report.h"

namespace rr::runtime {
namespace {

Workflow sharedWorkflow(EdgeMode mode, std::uint32_t members, std::vector<std::string> args) {
  return {
      .functions = {{.name = "sender", .wasm = RR_GUEST_SHARED_SENDER, .args = std::move(args)},
                    {.name = "members", .wasm = RR_GUEST_SHARED_RECEIVER, .instances = members}},
      .edges = {{.from = "sender", .to = "members", .mode = mode}}};
}

class SharedTest : public ::testing::TestWithParam<EdgeMode> {};

// Whether a receiver maps a shared payload of `size` bytes: in this process (embedded), or in
// another through the memfd (kernel, from RunOptions::memfd_threshold); never over TCP.
bool mapsShared(EdgeMode mode, std::uint64_t size) {
  return mode == EdgeMode::kEmbedded ||
         (mode == EdgeMode::kKernel && size >= RunOptions{}.memfd_threshold);
}

// The bytes the hosts copy for one "CHECK" message: once in process, twice over a socket (the
// sender's write and the receiver's read).
std::uint64_t checkBytes(EdgeMode mode) { return mode == EdgeMode::kEmbedded ? 5 : 10; }

// With prefixed output each function's thread has a descriptor table of its own, so a receiver
// cannot use the sender's descriptor for the memfd: both ways must map.
TEST_P(SharedTest, AGroupGetsTheSamePagesCopyOnWrite) {
  constexpr std::uint32_t kMembers = 4;
  constexpr std::uint64_t kRounds = 3;
  for (const auto& [size, prefixed] :
       {std::pair{(3U << 20) + 100, false}, std::pair{64U << 10, false},
        std::pair{(1U << 20) + 1, true}}) {
    SCOPED_TRACE(std::to_string(size) + (prefixed ? ", own descriptor tables" : ""));
    RunOptions options = testing::servedRunOptions();
    options.prefix_output = prefixed;
    auto r = runWorkflow(sharedWorkflow(GetParam(), kMembers,
                                        {"members", std::to_string(size), testing::freshSeed(),
                                         std::to_string(kRounds)}),
                         options);
    ASSERT_TRUE(r.has_value()) << r.error().message();
    const InstanceReport& sender = testing::instanceNamed(*r, "sender");
    ASSERT_EQ(sender.exit_code, 0)
        << "7: a receiver saw a wrong payload or, at CHECK, the sender's later bytes "
           "(RR_EHANDLER), 101: a receiver's write reached the sender";
    const std::uint64_t whole_pages = std::uint64_t{size} / 4096 * 4096;
    const std::uint64_t checks = kRounds * kMembers * checkBytes(GetParam());
    if (mapsShared(GetParam(), size)) {
      EXPECT_EQ(sender.mapped_bytes, kRounds * kMembers * whole_pages);
      EXPECT_EQ(sender.copied_bytes, kRounds * kMembers * (size - whole_pages) + checks)
          << "the partial last page for each member, then the CHECKs";
    } else {
      EXPECT_EQ(sender.mapped_bytes, 0U);
    }
  }
}

// The Rust SDK's SharedBuf: the same broadcast, from Rust.
TEST_P(SharedTest, TheRustSharedBufferMapsIntoEveryMember) {
  constexpr std::uint32_t kMembers = 3;
  constexpr std::uint32_t kSize = (2U << 20) + 4096;
  const Workflow w{
      .functions = {{.name = "sender",
                     .wasm = RR_GUEST_RUST_SHARED_SENDER,
                     .args = {"members", std::to_string(kSize), testing::freshSeed(), "2"}},
                    {.name = "members", .wasm = RR_GUEST_SHARED_RECEIVER, .instances = kMembers}},
      .edges = {{.from = "sender", .to = "members", .mode = GetParam()}}};
  auto r = runWorkflow(w, testing::servedRunOptions());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  const InstanceReport& sender = testing::instanceNamed(*r, "sender");
  ASSERT_EQ(sender.exit_code, 0) << "7: a receiver saw a wrong payload or the sender's later "
                                    "bytes, 101: a receiver's write reached the sender";
  EXPECT_EQ(sender.mapped_bytes, mapsShared(GetParam(), kSize) ? 2ULL * kMembers * kSize : 0U);
}

// Members that reuse their buffers (rr_reuse_buffers): in process each later round lands in the
// buffer the last one left mapped, with no rr_alloc, and arrives whole whether the member wrote
// half of its buffer (mapped again) or only read it (left as it was: the sender refilled the
// same pages). The sender's bytes after the last round reach no member, even through a pointer
// the member kept. Other modes copy or map as before, with the same results.
TEST_P(SharedTest, MembersThatReuseBuffersGetEveryRoundWholeAndNothingAfter) {
  constexpr std::uint32_t kMembers = 3;
  constexpr std::uint64_t kRounds = 4;
  for (const std::string reuse : {"1", "read"}) {
    for (const std::uint32_t size : {(4U << 20) + 100, 3U * 4096}) {
      SCOPED_TRACE(std::to_string(size) + " SHARED_REUSE=" + reuse);
      Workflow w = sharedWorkflow(GetParam(), kMembers,
                                  {"members", std::to_string(size), testing::freshSeed(),
                                   std::to_string(kRounds), "burst"});
      w.functions[1].env = {"SHARED_REUSE=" + reuse};
      auto r = runWorkflow(w, testing::servedRunOptions());
      ASSERT_TRUE(r.has_value()) << r.error().message();
      const InstanceReport& sender = testing::instanceNamed(*r, "sender");
      ASSERT_EQ(sender.exit_code, 0) << "7: a member saw a wrong payload (2) or, at CHECK, the "
                                        "sender's later bytes (3); 101: a member's write "
                                        "reached the sender";
      std::uint64_t payload_allocs = 0;
      for (const InstanceReport& i : r->instances) {
        for (const auto& [name, value] : i.guest_counters) {
          payload_allocs += name == "payload_allocs" ? value : 0;
        }
      }
      if (GetParam() == EdgeMode::kEmbedded) {
        const std::uint64_t whole_pages = size / 4096 * 4096;
        EXPECT_EQ(sender.mapped_bytes, kRounds * kMembers * whole_pages);
        EXPECT_EQ(sender.copied_bytes,
                  kRounds * kMembers * (size - whole_pages) + kMembers * checkBytes(GetParam()))
            << "the partial last page each round, then one CHECK each";
        EXPECT_EQ(payload_allocs, kMembers) << "one buffer each, for every round";
      }
    }
  }
}

// A move from a shared buffer: the receiver maps the pages (embedded: from the sender's memfd
// in this process; kernel: the memfd passed to the serving process), the sender's range reads
// as zeros after every send, and no copy is made but the partial last page.
TEST_P(SharedTest, AMoveFromASharedBufferMapsAndLeavesZeros) {
  constexpr std::uint64_t kRounds = 3;
  for (const std::uint32_t size : {(4U << 20) + 100, 8192U}) {
    SCOPED_TRACE(size);
    auto r = runWorkflow(sharedWorkflow(GetParam(), 1,
                                        {"members", std::to_string(size), testing::freshSeed(),
                                         std::to_string(kRounds), "move"}),
                         testing::servedRunOptions());
    ASSERT_TRUE(r.has_value()) << r.error().message();
    const InstanceReport& sender = testing::instanceNamed(*r, "sender");
    ASSERT_EQ(sender.exit_code, 0) << "7: the receiver saw a wrong payload or the sender's later "
                                      "bytes, 102: the moved range did not read as zeros";
    const std::uint64_t whole_pages = size / 4096 * 4096;
    if (mapsShared(GetParam(), size)) {
      EXPECT_EQ(sender.mapped_bytes, kRounds * whole_pages);
      EXPECT_EQ(sender.copied_bytes, kRounds * (size - whole_pages + checkBytes(GetParam())))
          << "the partial last page and the CHECK each round";
    } else {
      EXPECT_EQ(sender.mapped_bytes, 0U);
    }
  }
}

// A receiver whose buffer lies in a shared range of its own gets the payload copied there: the
// host never maps another function's pages over it. The relay then forwards from that buffer,
// and the sink must get what the relay received, mapped from the relay's own memfd.
TEST(SharedRelayTest, ABufferInTheReceiversOwnSharedRangeIsCopiedInto) {
  constexpr std::uint32_t kSize = 1U << 20;
  constexpr std::uint64_t kRounds = 2;
  const Workflow w{.functions = {{.name = "sender",
                                  .wasm = RR_GUEST_SHARED_SENDER,
                                  .args = {"relay", std::to_string(kSize), testing::freshSeed(),
                                           std::to_string(kRounds)}},
                                 {.name = "relay",
                                  .wasm = RR_GUEST_SHARED_RECEIVER,
                                  .env = {"SHARED_FORWARD=sink"}},
                                 {.name = "sink", .wasm = RR_GUEST_SHARED_RECEIVER}},
                   .edges = {{.from = "sender", .to = "relay"}, {.from = "relay", .to = "sink"}}};
  auto r = runWorkflow(w, testing::servedRunOptions());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  ASSERT_EQ(testing::instanceNamed(*r, "sender").exit_code, 0)
      << "7: the sink saw a wrong payload (2) or the relay's forward failed (4)";
  EXPECT_EQ(testing::instanceNamed(*r, "sender").mapped_bytes, 0U)
      << "copied into the relay's shared buffer";
  EXPECT_EQ(testing::instanceNamed(*r, "relay").mapped_bytes, kRounds * kSize)
      << "mapped from the relay's memfd";
}

TEST_P(SharedTest, HostileRangesGetStatuses) {
  const Workflow w{.functions = {{.name = "sender",
                                  .wasm = RR_GUEST_SHARED_SENDER,
                                  .args = {"receiver", "hostile"}},
                                 {.name = "receiver", .wasm = RR_GUEST_SHARED_RECEIVER}},
                   .edges = {{.from = "sender", .to = "receiver", .mode = GetParam()}}};
  EXPECT_EQ(testing::exitCodes(w).at("sender"), 0)
      << "111: past memory not EFAULT, 112-113: unaligned or empty not EINVAL, 114: not zeros, "
         "115: the same range again not OK, 116: overlap not EINVAL, 117: an unknown unshare "
         "not EINVAL, 118: a send from the range failed, 119: unshared pages not zeros, "
         "120-122: 64 ranges, then ENOMEM, then room after a free, 123: growing memory failed";
}

INSTANTIATE_TEST_SUITE_P(Modes, SharedTest, testing::everyMode(), testing::modeTestName);

}  // namespace
}  // namespace rr::runtime
