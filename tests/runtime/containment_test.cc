// A guest attacks its host: attack_receiver recurses without bound, calls proc_exit, blocks in
// host calls, loops, and traps, in its handler, its allocator and its release; attack_sender
// sends each attack and checks the status it gets, with a normal message after each whose reply
// hash proves the rebuilt receiver works. A second, unrelated pair runs beside them throughout.
// Each in embedded, kernel and network mode, with real guests on real WasmEdge (AOT).

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "roadrunner/base/file.h"
#include "roadrunner/guest/abi.h"
#include "roadrunner/runtime/runner.h"

#include "../testing/subprocess.h"

namespace rr::runtime {
namespace {

std::string expect(const std::string& attack, rr_status_t status) {
  return attack + "=" + std::to_string(status);
}

struct Outcome {
  int attacker = -1;   // attack_sender's exit: 0, or the index of the first unexpected status
  int bystander = -1;  // the unrelated pair's sender
  std::vector<std::string> failures;  // RunReport::failures
};

class ContainmentTest : public ::testing::TestWithParam<EdgeMode> {
 protected:
  static Outcome run(const std::vector<std::string>& attacks, std::uint32_t timeout_ms) {
    std::vector<std::string> args = {"victim"};
    args.insert(args.end(), attacks.begin(), attacks.end());
    const Workflow w{
        .functions =
            {{.name = "attacker", .wasm = RR_GUEST_ATTACK_SENDER, .args = args},
             {.name = "victim", .wasm = RR_GUEST_ATTACK_RECEIVER, .timeout_ms = timeout_ms},
             {.name = "bystander", .wasm = RR_GUEST_SENDER, .args = {"peer", "70000", "40"}},
             {.name = "peer", .wasm = RR_GUEST_HASH_RECEIVER}},
        .edges = {{.from = "attacker", .to = "victim", .mode = GetParam()},
                  {.from = "bystander", .to = "peer", .mode = GetParam()}}};
    auto report = runWorkflow(w, {.prefix_output = false,
                                  .cache_dir = std::string(RR_BINARY_DIR) + "/test-aot-cache",
                                  .roadrunner_exe = RR_CLI});
    Outcome out;
    EXPECT_TRUE(report.has_value()) << report.error().message();
    if (report) {
      out.failures = report->failures;
      for (const auto& i : report->instances) {
        if (i.name == "attacker") {
          out.attacker = i.exit_code;
        } else if (i.name == "bystander") {
          out.bystander = i.exit_code;
        }
      }
    }
    return out;
  }
};

// No time limit: the code is plain AOT, which cannot be interrupted, and every attack that ends
// by itself must still end only its own invocation.
TEST_P(ContainmentTest, TrapsExitsAndStackExhaustionEndOnlyTheInvocation) {
  const Outcome o =
      run({expect("ok", RR_OK), expect("recurse", RR_ERECEIVER_FAILED), expect("ok", RR_OK),
           expect("exit", RR_EEXITED), expect("ok", RR_OK), expect("trap", RR_ERECEIVER_FAILED),
           expect("ok", RR_OK), expect("alloc-recurse", RR_ERECEIVER_FAILED), expect("ok", RR_OK),
           expect("alloc-exit", RR_EEXITED), expect("ok", RR_OK),
           expect("alloc-trap", RR_ERECEIVER_FAILED), expect("ok", RR_OK),
           expect("release-recurse", RR_OK), expect("ok", RR_OK), expect("release-exit", RR_OK),
           expect("ok", RR_OK)},
          0);
  EXPECT_EQ(o.attacker, 0) << "the line marked UNEXPECTED above names the attack";
  EXPECT_EQ(o.bystander, 0);
  if (GetParam() == EdgeMode::kEmbedded) {
    // The run's non-zero exit is explained, naming the function.
    ASSERT_EQ(o.failures.size(), 1U);
    EXPECT_TRUE(o.failures[0].starts_with("receiver 'victim': 8 deliveries failed"))
        << o.failures[0];
  } else {
    EXPECT_TRUE(o.failures.empty()) << o.failures[0];  // served: statuses only
  }
}

// With a limit, every guest entry is stopped at it: guest loops, and guests blocked in a host
// call (sleep), in the handler, the allocator and the release. Each send must return well before
// the 8 s sleep it interrupts would have ended (the sender times every send itself).
TEST_P(ContainmentTest, TimeLimitStopsLoopsAndBlockedHostCallsInEveryEntry) {
  const std::string within = "/" + std::to_string(4000 * testing::timeScale());
  const Outcome o = run({expect("ok", RR_OK), expect("sleep", RR_ETIMEDOUT) + within,
                         expect("ok", RR_OK), expect("sleep-loop", RR_ETIMEDOUT) + within,
                         expect("ok", RR_OK), expect("spin", RR_ETIMEDOUT) + within,
                         expect("ok", RR_OK), expect("alloc-sleep", RR_ETIMEDOUT) + within,
                         expect("ok", RR_OK), expect("alloc-spin", RR_ETIMEDOUT) + within,
                         expect("ok", RR_OK), expect("release-sleep", RR_OK) + within,
                         expect("ok", RR_OK), expect("release-spin", RR_OK) + within,
                         expect("ok", RR_OK), expect("recurse", RR_ERECEIVER_FAILED),
                         expect("ok", RR_OK), expect("exit", RR_EEXITED), expect("ok", RR_OK)},
                        300);
  EXPECT_EQ(o.attacker, 0) << "the line marked UNEXPECTED above names the attack";
  EXPECT_EQ(o.bystander, 0);
}

// Replies that do not fit: over the sender's reply_cap in every mode, and over the serving
// process's 16 MiB reply buffer across processes. The sender always learns the full length.
TEST_P(ContainmentTest, OversizedRepliesAreRefusedWithTheirLength) {
  const bool served = GetParam() != EdgeMode::kEmbedded;
  std::vector<std::string> args = {
      "victim", expect("reply:100:64", RR_EREPLY_TOO_LARGE), expect("reply:64:64", RR_OK),
      expect("reply:20971520:33554432", served ? RR_EREPLY_TOO_LARGE : RR_OK),
      expect("reply:1000:4096", RR_OK)};
  const Workflow w{.functions = {{.name = "attacker", .wasm = RR_GUEST_ATTACK_SENDER, .args = args},
                                 {.name = "victim", .wasm = RR_GUEST_BIG_REPLY_RECEIVER}},
                   .edges = {{.from = "attacker", .to = "victim", .mode = GetParam()}}};
  auto report = runWorkflow(w, {.prefix_output = false,
                                .cache_dir = std::string(RR_BINARY_DIR) + "/test-aot-cache",
                                .roadrunner_exe = RR_CLI});
  ASSERT_TRUE(report.has_value()) << report.error().message();
  ASSERT_FALSE(report->instances.empty());
  EXPECT_EQ(report->instances[0].exit_code, 0) << "the line marked UNEXPECTED above says which";
}

// The edge of wasm32: a sender whose memory is exactly 4 GiB sends its last bytes and takes the
// reply length into its last 4 bytes (both were RR_EFAULT when 4 GiB read as 4 GiB - 1).
TEST_P(ContainmentTest, FourGiBSenderUsesItsLastBytes) {
  const Workflow w{.functions = {{.name = "edge", .wasm = RR_GUEST_EDGE_SENDER, .args = {"sink"}},
                                 {.name = "sink", .wasm = RR_GUEST_HASH_RECEIVER}},
                   .edges = {{.from = "edge", .to = "sink", .mode = GetParam()}}};
  auto report = runWorkflow(w, {.prefix_output = false,
                                .cache_dir = std::string(RR_BINARY_DIR) + "/test-aot-cache",
                                .roadrunner_exe = RR_CLI});
  ASSERT_TRUE(report.has_value()) << report.error().message();
  ASSERT_FALSE(report->instances.empty());
  EXPECT_EQ(report->instances[0].exit_code, 0) << "see edge_sender.c for the code";
}

// A receiver that exports its memory under another name than "memory" is refused at start with
// that reason, instead of failing every delivery with RR_EBAD_ALLOC.
TEST_P(ContainmentTest, ReceiverWhoseMemoryHasAnotherNameIsRefusedAtStart) {
  // (module (memory (export "mem") 1)
  //   (func (export "rr_alloc") (param i32) (result i32) i32.const 1024)
  //   (func (export "rr_on_message") (param i32 i32 i32 i32) (result i32) i32.const 0))
  constexpr unsigned char kModule[] = {
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,                    // magic, version
      0x01, 0x0e, 0x02, 0x60, 0x01, 0x7f, 0x01, 0x7f,                    // types: (i32)->i32,
      0x60, 0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x01, 0x7f,                    //   (i32 x4)->i32
      0x03, 0x03, 0x02, 0x00, 0x01,                                      // funcs: types 0, 1
      0x05, 0x03, 0x01, 0x00, 0x01,                                      // memory: 1 page
      0x07, 0x22, 0x03, 0x03, 'm',  'e',  'm',  0x02, 0x00,              // export "mem"
      0x08, 'r',  'r',  '_',  'a',  'l',  'l',  'o',  'c',  0x00, 0x00,  // export rr_alloc
      0x0d, 'r',  'r',  '_',  'o',  'n',  '_',  'm',  'e',  's',  's',  'a',  'g',
      'e',  0x00, 0x01, 0x0a, 0x0c, 0x02, 0x05, 0x00, 0x41, 0x80, 0x08, 0x0b,  // code: 1024
      0x04, 0x00, 0x41, 0x00, 0x0b,                                            //       0
  };
  const testing::TempDir dir;
  ASSERT_TRUE(writeFileAtomic(dir.file("renamed.wasm"), std::as_bytes(std::span(kModule))));
  const Workflow w{
      .functions = {{.name = "sender", .wasm = RR_GUEST_SENDER, .args = {"renamed", "100"}},
                    {.name = "renamed", .wasm = dir.file("renamed.wasm")}},
      .edges = {{.from = "sender", .to = "renamed", .mode = GetParam()}}};
  auto report = runWorkflow(w, {.prefix_output = false,
                                .cache_dir = std::string(RR_BINARY_DIR) + "/test-aot-cache",
                                .roadrunner_exe = RR_CLI});
  if (GetParam() == EdgeMode::kEmbedded) {
    ASSERT_FALSE(report.has_value()) << "started a receiver the host cannot deliver to";
    EXPECT_NE(report.error().message().find("exports no memory named \"memory\""),
              std::string::npos)
        << report.error().message();
  } else {
    // A served receiver's process refuses to start, so up stops with a set-up error.
    EXPECT_FALSE(report.has_value());
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, ContainmentTest,
                         ::testing::Values(EdgeMode::kEmbedded, EdgeMode::kKernel,
                                           EdgeMode::kNetwork),
                         [](const ::testing::TestParamInfo<EdgeMode>& param) {
                           return std::string(param.param == EdgeMode::kEmbedded ? "Embedded"
                                              : param.param == EdgeMode::kKernel ? "Kernel"
                                                                                 : "Network");
                         });

}  // namespace
}  // namespace rr::runtime
