// End-to-end transfers through real guests on real WasmEdge (AOT), in one process.

#include "roadrunner/runtime/runner.h"

#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>

#include <gtest/gtest.h>

#include "roadrunner/wasm/aot_cache.h"

#include "../testing/modes.h"
#include "../testing/report.h"
#include "../testing/serve_process.h"
#include "../testing/subprocess.h"
#include "../testing/tcp_listener.h"

namespace rr::runtime {
namespace {

constexpr std::uint32_t kMiB = 1U << 20U;

FunctionSpec sender(const std::string& target, const std::string& arg,
                    const std::string& count = "1") {
  return {.name = "sender", .wasm = RR_GUEST_SENDER, .args = {target, arg, count}};
}

FunctionSpec receiver(const std::string& name, const std::string& wasm = RR_GUEST_HASH_RECEIVER) {
  return {.name = name, .wasm = wasm};
}

class RunnerTest : public ::testing::Test {
 protected:
  // One AOT cache for the whole binary: each guest compiles once.
  static RunOptions options() {
    return {.prefix_output = false, .cache_dir = std::string(RR_BINARY_DIR) + "/test-aot-cache"};
  }
  static RunReport mustRun(const Workflow& w) {
    auto r = runWorkflow(w, options());
    EXPECT_TRUE(r.has_value()) << r.error().message();
    return r ? *r : RunReport{.exit_code = -1};
  }
  static int senderStatus(const Workflow& w) {
    return testing::instanceNamed(mustRun(w), "sender").exit_code;
  }
};

class TransferSizeTest : public RunnerTest, public ::testing::WithParamInterface<std::uint32_t> {};

TEST_P(TransferSizeTest, BytesArriveIntactAndCostOneCopy) {
  const Workflow w{.functions = {sender("sink", std::to_string(GetParam()), "2"), receiver("sink")},
                   .edges = {{.from = "sender", .to = "sink"}}};
  const RunReport report = mustRun(w);
  const InstanceReport& s = testing::instanceNamed(report, "sender");
  EXPECT_EQ(s.exit_code, 0) << "the reply hash proves the bytes arrived intact";
  EXPECT_EQ(s.sends, 2U);
  EXPECT_EQ(s.bytes, 2ULL * GetParam());
  EXPECT_EQ(s.copies, GetParam() == 0 ? 0U : 2U);
  EXPECT_EQ(s.copied_bytes, 2ULL * GetParam()) << "observed where the copy is made";
  EXPECT_EQ(testing::instanceNamed(report, "sink").deliveries, 2U);
  EXPECT_EQ(report.exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Sizes, TransferSizeTest,
                         ::testing::Values(0U, 1U, 4095U, 4096U, 65537U, 16 * kMiB, 100 * kMiB));

TEST_F(RunnerTest, ChainOfThreeRelaysPayloadAndReply) {
  FunctionSpec relay = receiver("relay", RR_GUEST_RELAY);
  relay.env = {"RELAY_TO=sink"};
  const Workflow w{.functions = {sender("relay", "300000"), relay, receiver("sink")},
                   .edges = {{.from = "sender", .to = "relay"}, {.from = "relay", .to = "sink"}}};
  const RunReport report = mustRun(w);
  EXPECT_EQ(testing::instanceNamed(report, "sender").exit_code, 0);
  EXPECT_EQ(testing::instanceNamed(report, "relay").deliveries, 1U);
  EXPECT_EQ(testing::instanceNamed(report, "sink").deliveries, 1U);
}

TEST_F(RunnerTest, FanOutOfEightThenFanInOfEight) {
  const std::string guests = std::string(RR_BINARY_DIR) + "/guests/";
  const Workflow w{
      .functions = {{.name = "source", .wasm = guests + "fan_source.wasm", .args = {"100000"}},
                    {.name = "worker", .wasm = guests + "fan_worker.wasm", .instances = 8},
                    {.name = "sink", .wasm = guests + "fan_sink.wasm"}},
      .edges = {{.from = "source", .to = "worker"},
                {.from = "worker", .to = "sink"},
                {.from = "source", .to = "sink"}}};
  const RunReport report = mustRun(w);
  EXPECT_EQ(testing::instanceNamed(report, "source").exit_code, 0);
  for (int i = 0; i < 8; ++i) {
    const std::string name = "worker#" + std::to_string(i);
    EXPECT_EQ(testing::instanceNamed(report, name).deliveries, 1U) << name;
    EXPECT_EQ(testing::instanceNamed(report, name).sends, 1U) << name;
  }
  EXPECT_EQ(testing::instanceNamed(report, "sink").deliveries,
            9U);  // 8 partial sums and the report request
}

TEST_F(RunnerTest, UnknownTargetIsAStatusForTheSender) {
  const Workflow w{.functions = {sender("nobody", "10"), receiver("sink")},
                   .edges = {{.from = "sender", .to = "sink"}}};
  EXPECT_EQ(senderStatus(w), static_cast<int>(RR_EUNKNOWN_TARGET));
}

TEST_F(RunnerTest, UndeclaredTargetIsRefused) {
  const Workflow w{
      .functions = {sender("other", "10"),
                    receiver("sink"),
                    receiver("other"),
                    {.name = "feeder", .wasm = RR_GUEST_SENDER, .args = {"other", "1"}}},
      .edges = {{.from = "sender", .to = "sink"}, {.from = "feeder", .to = "other"}}};
  EXPECT_EQ(senderStatus(w), static_cast<int>(RR_ENOT_ALLOWED));
}

TEST_F(RunnerTest, PayloadOverTheReceiversLimitIsRefused) {
  FunctionSpec sink = receiver("sink");
  sink.max_payload = 1000;
  const Workflow w{.functions = {sender("sink", "1001"), sink},
                   .edges = {{.from = "sender", .to = "sink"}}};
  EXPECT_EQ(senderStatus(w), static_cast<int>(RR_ETOO_LARGE));
}

TEST_F(RunnerTest, SenderPassingOutOfBoundsPointersGetsFaultStatus) {
  const Workflow payload{.functions = {sender("sink", "oob"), receiver("sink")},
                         .edges = {{.from = "sender", .to = "sink"}}};
  EXPECT_EQ(senderStatus(payload), static_cast<int>(RR_EFAULT));
  const Workflow name{.functions = {sender("sink", "oob-name"), receiver("sink")},
                      .edges = {{.from = "sender", .to = "sink"}}};
  EXPECT_EQ(senderStatus(name), static_cast<int>(RR_EFAULT));
}

struct HostileCase {
  const char* mode;
  rr_status_t status;
};

class HostileAllocatorTest : public RunnerTest,
                             public ::testing::WithParamInterface<HostileCase> {};

TEST_P(HostileAllocatorTest, IsAStatusForTheSenderNeverACrash) {
  FunctionSpec sink = receiver("sink", RR_GUEST_HOSTILE_RECEIVER);
  sink.env = {std::string("HOSTILE=") + GetParam().mode};
  const Workflow w{.functions = {sender("sink", "5000"), sink},
                   .edges = {{.from = "sender", .to = "sink"}}};
  EXPECT_EQ(senderStatus(w), static_cast<int>(GetParam().status));
}

INSTANTIATE_TEST_SUITE_P(Allocators, HostileAllocatorTest,
                         ::testing::Values(HostileCase{"zero", RR_ENOMEM},
                                           HostileCase{"bogus", RR_EBAD_ALLOC},
                                           HostileCase{"misaligned", RR_EBAD_ALLOC}));

// A receiver that cannot be started again after a trap stops serving: the next send gets
// RR_EUNAVAILABLE instead of running on the instance that trapped.
TEST_F(RunnerTest, ReceiverThatCannotRestartAfterATrapStopsServing) {
  const testing::TempDir state;
  const Workflow w{.functions = {{.name = "sender",
                                  .wasm = RR_GUEST_ATTACK_SENDER,
                                  .args = {"victim", "ok=0", "trap=6", "ok=11", "ok=11"}},
                                 {.name = "victim",
                                  .wasm = RR_GUEST_ONCE_RECEIVER,
                                  .dirs = {"/state:" + state.path()}}},
                   .edges = {{.from = "sender", .to = "victim"}}};
  const RunReport report = mustRun(w);
  EXPECT_EQ(testing::instanceNamed(report, "sender").exit_code, 0)
      << "ok, trap, then unavailable twice";
  EXPECT_EQ(testing::instanceNamed(report, "victim").handler_traps, 1U);
}

TEST_F(RunnerTest, HandlerTrapFailsThatDeliveryAndTheReceiverKeepsServing) {
  // trap_sender sends "TRAP" (the receiver traps on it), then a normal payload.
  FunctionSpec trapper{.name = "trapper", .wasm = RR_GUEST_TRAP_SENDER, .args = {"sink"}};
  const Workflow w{.functions = {trapper, receiver("sink")},
                   .edges = {{.from = "trapper", .to = "sink"}}};
  const RunReport report = mustRun(w);
  EXPECT_EQ(testing::instanceNamed(report, "trapper").exit_code, 0)
      << "trap -> receiver failed, then ok";
  EXPECT_EQ(testing::instanceNamed(report, "sink").handler_traps, 1U);
  EXPECT_EQ(report.exit_code, 1) << "a trapped handler fails the workflow";
}

TEST_F(RunnerTest, AbiVersionMismatchIsASetUpError) {
  const Workflow w{.functions = {sender("sink", "1"), receiver("sink", RR_GUEST_ABI_MISMATCH)},
                   .edges = {{.from = "sender", .to = "sink"}}};
  auto r = runWorkflow(w, options());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kAbiMismatch);
  EXPECT_NE(r.error().message().find("999"), std::string::npos) << r.error().message();
}

TEST_F(RunnerTest, MissingFunctionFileIsASetUpErrorNamingIt) {
  const Workflow w{.functions = {sender("sink", "1"), receiver("sink", "/nonexistent/sink.wasm")},
                   .edges = {{.from = "sender", .to = "sink"}}};
  auto r = runWorkflow(w, options());
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("/nonexistent/sink.wasm"), std::string::npos);
}

TEST_F(RunnerTest, ReceiverWithoutHandlerIsASetUpError) {
  const Workflow w{.functions = {sender("sink", "1"), receiver("sink", RR_GUEST_NO_START)},
                   .edges = {{.from = "sender", .to = "sink"}}};
  auto r = runWorkflow(w, options());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kMissingExport);
}

}  // namespace
}  // namespace rr::runtime

namespace rr::runtime {
namespace {

TEST(CppVeneerTest, ReceiverWrittenInCppRepliesTheHash) {
  const Workflow w{
      .functions = {{.name = "sender", .wasm = RR_GUEST_SENDER, .args = {"sink", "70000", "3"}},
                    {.name = "sink", .wasm = RR_GUEST_CPP_RECEIVER}},
      .edges = {{.from = "sender", .to = "sink"}}};
  auto r = runWorkflow(
      w, {.prefix_output = false, .cache_dir = std::string(RR_BINARY_DIR) + "/test-aot-cache"});
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->exit_code, 0);
}

}  // namespace
}  // namespace rr::runtime

namespace rr::runtime {
namespace {

// Kernel mode: receivers in their own `roadrunner serve` processes, reached over UNIX sockets.
class KernelModeTest : public ::testing::Test {
 protected:
  static RunOptions options(std::uint64_t memfd_threshold = 1U << 20U) {
    return {.prefix_output = false,
            .cache_dir = std::string(RR_BINARY_DIR) + "/test-aot-cache",
            .roadrunner_exe = RR_CLI,
            .memfd_threshold = memfd_threshold};
  }
  static int senderExit(const Workflow& w, const RunOptions& o) {
    auto r = runWorkflow(w, o);
    EXPECT_TRUE(r.has_value()) << r.error().message();
    if (!r) {
      return -1;
    }
    for (const auto& i : r->instances) {
      if (i.name == "sender") {
        return i.exit_code;
      }
    }
    return -1;
  }
};

TEST_F(KernelModeTest, BytesArriveIntactAcrossProcessesOverSocketAndMemfd) {
  for (const std::uint64_t threshold : {std::uint64_t{1} << 20U, std::uint64_t{0}}) {
    for (const std::uint32_t size : {0U, 1U, 4095U, 4096U, 65537U, 16U << 20U}) {
      const Workflow w{.functions = {{.name = "sender",
                                      .wasm = RR_GUEST_SENDER,
                                      .args = {"sink", std::to_string(size), "2"}},
                                     {.name = "sink", .wasm = RR_GUEST_HASH_RECEIVER}},
                       .edges = {{.from = "sender", .to = "sink", .mode = EdgeMode::kKernel}}};
      EXPECT_EQ(senderExit(w, options(threshold)), 0) << size << " bytes, memfd from " << threshold;
    }
  }
}

// The processes this one has started and not yet reaped.
std::size_t childProcesses() {
  std::size_t n = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream children(task.path() / "children");
    for (std::string pid; children >> pid;) {
      ++n;
    }
  }
  return n;
}

// The soak samples between the two hooks: each runs once, the first when both serving
// processes are up, the second after the sender's last send and before they stop.
TEST_F(KernelModeTest, TheCommandHooksBracketTheCommandsWhileTheServersRun) {
  int starting = 0;
  int ended = 0;
  std::size_t children_at_start = 0;
  std::size_t children_at_end = 0;
  RunOptions o = options();
  o.on_commands_starting = [&] {
    ++starting;
    EXPECT_EQ(ended, 0);
    children_at_start = childProcesses();
  };
  o.on_commands_ended = [&] {
    ++ended;
    children_at_end = childProcesses();
  };
  const Workflow w{
      .functions = {{.name = "sender", .wasm = RR_GUEST_SENDER, .args = {"sink#1", "5000", "3"}},
                    {.name = "sink", .wasm = RR_GUEST_HASH_RECEIVER, .instances = 2}},
      .edges = {{.from = "sender", .to = "sink", .mode = EdgeMode::kKernel}}};
  EXPECT_EQ(senderExit(w, o), 0);
  EXPECT_EQ(starting, 1);
  EXPECT_EQ(ended, 1);
  EXPECT_EQ(children_at_start, 2U) << "both serving processes run before the sender starts";
  EXPECT_EQ(children_at_end, 2U) << "and still run when the sender has ended";
  EXPECT_EQ(childProcesses(), 0U);
}

TEST_F(KernelModeTest, ChainOfThreeProcessesRelaysPayloadAndReply) {
  const Workflow w{
      .functions = {{.name = "sender", .wasm = RR_GUEST_SENDER, .args = {"relay", "3000000", "2"}},
                    {.name = "relay", .wasm = RR_GUEST_RELAY, .env = {"RELAY_TO=sink"}},
                    {.name = "sink", .wasm = RR_GUEST_HASH_RECEIVER}},
      .edges = {{.from = "sender", .to = "relay", .mode = EdgeMode::kKernel},
                {.from = "relay", .to = "sink", .mode = EdgeMode::kKernel}}};
  EXPECT_EQ(senderExit(w, options()), 0);
}

TEST_F(KernelModeTest, FanOutToFourServedInstances) {
  const Workflow w{
      .functions = {{.name = "sender", .wasm = RR_GUEST_SENDER, .args = {"sink#2", "5000"}},
                    {.name = "sink", .wasm = RR_GUEST_HASH_RECEIVER, .instances = 4}},
      .edges = {{.from = "sender", .to = "sink", .mode = EdgeMode::kKernel}}};
  EXPECT_EQ(senderExit(w, options()), 0) << "one instance of a served group, by name";
}

// up -O LEVEL: the runner compiles at that level and hands the level to its serving processes,
// so both modules of a kernel edge are in a fresh cache at that level and at no other.
TEST_F(KernelModeTest, TheOptimisationLevelReachesTheServingProcesses) {
  const testing::TempDir cache;
  RunOptions o = options();
  o.cache_dir = cache.path();
  o.opt_level = 0;
  const Workflow w{
      .functions = {{.name = "sender", .wasm = RR_GUEST_SENDER, .args = {"sink", "5000"}},
                    {.name = "sink", .wasm = RR_GUEST_HASH_RECEIVER}},
      .edges = {{.from = "sender", .to = "sink", .mode = EdgeMode::kKernel}}};
  EXPECT_EQ(senderExit(w, o), 0);
  for (const char* path : {RR_GUEST_SENDER, RR_GUEST_HASH_RECEIVER}) {
    const std::string bytes = testing::slurp(path);
    const auto wasm = std::as_bytes(std::span(bytes));
    EXPECT_TRUE(wasm::AotCache::open(cache.path(), 0)->has(wasm)) << path;
    EXPECT_FALSE(wasm::AotCache::open(cache.path(), 2)->has(wasm)) << path;
  }
}

TEST_F(KernelModeTest, MixedModesIntoOneFunctionAreRefused) {
  const Workflow w{.functions = {{.name = "a", .wasm = RR_GUEST_SENDER, .args = {"sink", "1"}},
                                 {.name = "b", .wasm = RR_GUEST_SENDER, .args = {"sink", "1"}},
                                 {.name = "sink", .wasm = RR_GUEST_HASH_RECEIVER}},
                   .edges = {{.from = "a", .to = "sink", .mode = EdgeMode::kKernel},
                             {.from = "b", .to = "sink", .mode = EdgeMode::kEmbedded}}};
  auto r = runWorkflow(w, options());
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("edges of different modes"), std::string::npos);
}

TEST_F(KernelModeTest, ServedFunctionThatFailsToStartIsASetUpError) {
  const Workflow w{.functions = {{.name = "sender", .wasm = RR_GUEST_SENDER, .args = {"sink", "1"}},
                                 {.name = "sink", .wasm = RR_GUEST_NO_START}},
                   .edges = {{.from = "sender", .to = "sink", .mode = EdgeMode::kKernel}}};
  auto r = runWorkflow(w, options());
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("sink"), std::string::npos) << r.error().message();
}

TEST_F(KernelModeTest, ServedFunctionThatNeverReportsReadyIsASetUpErrorAtTheDeadline) {
  // A "roadrunner" that keeps its ready descriptor open and never writes a line.
  const testing::TempDir dir;
  const std::string exe = dir.file("silent-roadrunner");
  testing::writeText(exe, "#!/bin/sh\necho $$ > " + dir.file("pid") + "\nexec sleep 600\n");
  ASSERT_EQ(::chmod(exe.c_str(), 0755), 0);
  const Workflow w{.functions = {{.name = "sender", .wasm = RR_GUEST_SENDER, .args = {"sink", "1"}},
                                 {.name = "sink", .wasm = RR_GUEST_HASH_RECEIVER}},
                   .edges = {{.from = "sender", .to = "sink", .mode = EdgeMode::kKernel}}};
  RunOptions o = options();
  o.roadrunner_exe = exe;
  o.ready_timeout = std::chrono::milliseconds(500);
  const auto start = std::chrono::steady_clock::now();
  auto r = runWorkflow(w, o);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("sink: its serving process did not report that it listens"),
            std::string::npos)
      << r.error().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  const pid_t child = std::stoi(testing::slurp(dir.file("pid")));
  EXPECT_NE(::kill(child, 0), 0) << "the silent child was killed and reaped";
}

}  // namespace
}  // namespace rr::runtime

namespace rr::runtime {
namespace {

TEST(NetworkModeTest, ChainOverTcpWithTheRunsSecret) {
  const Workflow w{
      .functions = {{.name = "sender", .wasm = RR_GUEST_SENDER, .args = {"relay", "3000000", "2"}},
                    {.name = "relay", .wasm = RR_GUEST_RELAY, .env = {"RELAY_TO=sink"}},
                    {.name = "sink", .wasm = RR_GUEST_HASH_RECEIVER}},
      .edges = {{.from = "sender", .to = "relay", .mode = EdgeMode::kNetwork},
                {.from = "relay", .to = "sink", .mode = EdgeMode::kNetwork}}};
  auto r = runWorkflow(w, {.prefix_output = false,
                           .cache_dir = std::string(RR_BINARY_DIR) + "/test-aot-cache",
                           .roadrunner_exe = RR_CLI});
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->exit_code, 0);
  ASSERT_FALSE(r->instances.empty());
  EXPECT_EQ(r->instances[0].name, "sender");
  // 3 MB is over the splice threshold: vmsplice lends the sender's pages to the socket, and only
  // the receiver's read copies.
  EXPECT_EQ(r->instances[0].copied_bytes, 2U * 3000000U) << "2 sends, one copy each";
  EXPECT_EQ(r->instances[0].copies, 2U);
}

TEST(NetworkModeTest, ServedFunctionSendingOverAnEmbeddedEdgeIsRefused) {
  const Workflow w{
      .functions = {{.name = "sender", .wasm = RR_GUEST_SENDER, .args = {"relay", "1"}},
                    {.name = "relay", .wasm = RR_GUEST_RELAY},
                    {.name = "sink", .wasm = RR_GUEST_HASH_RECEIVER}},
      .edges = {{.from = "sender", .to = "relay", .mode = EdgeMode::kNetwork},
                {.from = "relay", .to = "sink", .mode = EdgeMode::kEmbedded}}};
  auto r = runWorkflow(w, {.prefix_output = false, .roadrunner_exe = RR_CLI});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("its own process"), std::string::npos);
}

}  // namespace
}  // namespace rr::runtime

namespace rr::runtime {
namespace {

TEST(NetworkModeTest, EdgeToARemoteReceiverUsesItsAddressAndTheWorkflowsSecret) {
  const testing::TempDir dir;
  testing::writeText(dir.file("secret"), "shared by both nodes\n");
  testing::ServeProcess remote(RR_CLI,
                               {RR_GUEST_HASH_RECEIVER, "--listen", "tcp:127.0.0.1:0", "--name",
                                "sink", "--secret-file", dir.file("secret")},
                               {}, {"RR_CACHE_DIR=" RR_BINARY_DIR "/test-aot-cache"});
  ASSERT_TRUE(remote.ready());
  Workflow w{.functions = {{.name = "sender", .wasm = RR_GUEST_SENDER, .args = {"sink", "500000"}},
                           {.name = "sink", .wasm = "runs-elsewhere.wasm"}},
             .edges = {{.from = "sender",
                        .to = "sink",
                        .mode = EdgeMode::kNetwork,
                        .address = remote.address()}}};
  w.secret_file = dir.file("secret");
  const RunOptions options{.prefix_output = false,
                           .cache_dir = std::string(RR_BINARY_DIR) + "/test-aot-cache",
                           .roadrunner_exe = RR_CLI};
  auto r = runWorkflow(w, options);
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->exit_code, 0) << "the sender verified the remote receiver's hash";

  testing::writeText(dir.file("wrong"), "not the secret\n");
  w.secret_file = dir.file("wrong");
  auto refused = runWorkflow(w, options);
  ASSERT_TRUE(refused.has_value()) << refused.error().message();
  EXPECT_EQ(refused->instances[0].exit_code, static_cast<int>(RR_EUNAVAILABLE));
}

TEST(RemoteReceiverTest, KernelEdgeToARunningUnixReceiverNeedsNoSecret) {
  const testing::TempDir dir;
  const std::string socket = dir.file("sink.sock");
  testing::ServeProcess remote(
      RR_CLI, {RR_GUEST_HASH_RECEIVER, "--listen", "unix:" + socket, "--name", "sink"}, {},
      {"RR_CACHE_DIR=" RR_BINARY_DIR "/test-aot-cache"});
  ASSERT_TRUE(remote.ready());
  const Workflow w{
      .functions = {{.name = "sender", .wasm = RR_GUEST_SENDER, .args = {"sink", "300000"}},
                    {.name = "sink", .wasm = "runs-elsewhere.wasm"}},
      .edges = {{.from = "sender",
                 .to = "sink",
                 .mode = EdgeMode::kKernel,
                 .address = "unix:" + socket}}};
  const RunOptions options{.prefix_output = false,
                           .cache_dir = std::string(RR_BINARY_DIR) + "/test-aot-cache",
                           .roadrunner_exe = RR_CLI};
  auto r = runWorkflow(w, options);
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->exit_code, 0) << "the sender verified the running receiver's hash";
}

}  // namespace
}  // namespace rr::runtime

namespace rr::runtime {
namespace {

class HandlerTimeLimitTest : public ::testing::TestWithParam<bool> {};

TEST_P(HandlerTimeLimitTest, HandlerThatLoopsForeverIsStoppedAndTheReceiverKeepsServing) {
  const Workflow w{
      .functions = {{.name = "sender", .wasm = RR_GUEST_SPIN_SENDER, .args = {"sink"}},
                    {.name = "sink", .wasm = RR_GUEST_SPIN_RECEIVER, .timeout_ms = 300}},
      .edges = {{.from = "sender", .to = "sink"}}};
  auto r = runWorkflow(w, {.interpreter = GetParam(),
                           .prefix_output = false,
                           .cache_dir = std::string(RR_BINARY_DIR) + "/test-aot-cache"});
  ASSERT_TRUE(r.has_value()) << r.error().message();
  ASSERT_FALSE(r->instances.empty());
  EXPECT_EQ(r->instances[0].exit_code, 0) << "timed out, then served by a fresh instance";
}

INSTANTIATE_TEST_SUITE_P(Engines, HandlerTimeLimitTest, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return std::string(p.param ? "Interpreter" : "InterruptibleAot");
                         });

}  // namespace
}  // namespace rr::runtime

namespace rr::runtime {
namespace {

TEST(MemoryLimitTest, PayloadPastTheReceiversMemoryLimitIsRefusedWithNoMemory) {
  FunctionSpec sink{.name = "sink", .wasm = RR_GUEST_HASH_RECEIVER, .memory_limit_mib = 4};
  const RunOptions options{.prefix_output = false,
                           .cache_dir = std::string(RR_BINARY_DIR) + "/test-aot-cache"};
  const Workflow big{.functions = {{.name = "sender",
                                    .wasm = RR_GUEST_SENDER,
                                    .args = {"sink", std::to_string(16U << 20U)}},
                                   sink},
                     .edges = {{.from = "sender", .to = "sink"}}};
  auto r = runWorkflow(big, options);
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->instances[0].exit_code, static_cast<int>(RR_ENOMEM));
  const Workflow small{
      .functions = {{.name = "sender", .wasm = RR_GUEST_SENDER, .args = {"sink", "100000"}}, sink},
      .edges = {{.from = "sender", .to = "sink"}}};
  auto ok = runWorkflow(small, options);
  ASSERT_TRUE(ok.has_value()) << ok.error().message();
  EXPECT_EQ(ok->instances[0].exit_code, 0);
}

}  // namespace
}  // namespace rr::runtime

namespace rr::runtime {
namespace {

// Where a function runs must not change how its sends are routed: a served function's host
// answers RR_ENOT_ALLOWED and RR_EUNKNOWN_TARGET for the same names as an in-process one's.
class RouteAgreementTest : public ::testing::TestWithParam<EdgeMode> {};

TEST_P(RouteAgreementTest, ReceiverRoutesEveryNameAsInEmbeddedMode) {
  const testing::TempDir dir;
  const EdgeMode mode = GetParam();
  const std::vector<std::pair<std::string, rr_status_t>> want = {
      {"probe", RR_ENOT_ALLOWED},       // itself: it exists, and no edge leads there
      {"other", RR_ENOT_ALLOWED},       // a receiver of the workflow, not a target of probe
      {"sink", RR_OK},                  // its target, a group of two
      {"sink#1", RR_OK},                // one member of that group
      {"sink#2", RR_EUNKNOWN_TARGET},   // out of the group's range
      {"other#0", RR_EUNKNOWN_TARGET},  // a single instance has no "#k" name
      {"sender", RR_EUNKNOWN_TARGET},   // a command: no edge points to it
      {"nobody", RR_EUNKNOWN_TARGET}};  // outside the workflow
  std::vector<std::string> args = {"probe", "/out/routes"};
  for (const auto& [name, status] : want) {
    args.push_back(name);
  }
  const Workflow w{.functions = {{.name = "sender",
                                  .wasm = RR_GUEST_PROBE_SENDER,
                                  .args = args,
                                  .dirs = {"/out:" + dir.path()}},
                                 {.name = "probe", .wasm = RR_GUEST_ROUTE_PROBE},
                                 {.name = "sink", .wasm = RR_GUEST_HASH_RECEIVER, .instances = 2},
                                 {.name = "other", .wasm = RR_GUEST_HASH_RECEIVER}},
                   .edges = {{.from = "sender", .to = "probe", .mode = mode},
                             {.from = "probe", .to = "sink", .mode = mode},
                             {.from = "sender", .to = "other", .mode = mode}}};
  auto r = runWorkflow(w, {.prefix_output = false,
                           .cache_dir = std::string(RR_BINARY_DIR) + "/test-aot-cache",
                           .roadrunner_exe = RR_CLI});
  ASSERT_TRUE(r.has_value()) << r.error().message();
  ASSERT_FALSE(r->instances.empty());
  ASSERT_EQ(r->instances[0].exit_code, 0) << "every send to the probe was answered";
  std::string expected;
  for (const auto& [name, status] : want) {
    expected += name + " " + std::to_string(status) + "\n";
  }
  EXPECT_EQ(testing::slurp(dir.file("routes")), expected);
}

INSTANTIATE_TEST_SUITE_P(Modes, RouteAgreementTest, testing::everyMode(), testing::modeTestName);
}  // namespace
}  // namespace rr::runtime

namespace rr::runtime {
namespace {

// A receiver that tries to reach a TCP listener of the test's when a delivery arrives, in each
// place a receiver can run: a thread of this process (embedded), or a `roadrunner serve` behind
// a UNIX socket (kernel) or TCP (network). The asking command exits with the errno the receiver
// replied: 76 (__WASI_ERRNO_NOTCAPABLE) when denied, 0 when it connected.
class ReceiverSocketTest : public ::testing::TestWithParam<EdgeMode> {
 protected:
  static int ask(const testing::TcpListener& to, std::vector<NetGrant> grants = {}) {
    const Workflow w{.functions = {{.name = "asker",
                                    .wasm = RR_GUEST_NET_PROBE,
                                    .env = {"NET_PROBE=ask", "NET_PROBE_TARGET=probe"}},
                                   {.name = "probe",
                                    .wasm = RR_GUEST_NET_PROBE,
                                    .env = {"NET_PROBE=connect", "NET_PROBE_PORT=" + to.portText()},
                                    .network = std::move(grants)}},
                     .edges = {{.from = "asker", .to = "probe", .mode = GetParam()}}};
    auto r = runWorkflow(w, {.prefix_output = false,
                             .cache_dir = std::string(RR_BINARY_DIR) + "/test-aot-cache",
                             .roadrunner_exe = RR_CLI});
    EXPECT_TRUE(r.has_value()) << r.error().message();
    return r && !r->instances.empty() ? r->instances.front().exit_code : -1;
  }
  static constexpr int kNotCapable = 76;
};

TEST_P(ReceiverSocketTest, ReceiverWithoutAGrantCannotConnect) {
  const testing::TcpListener listener;
  ASSERT_NE(listener.port(), 0);

  EXPECT_EQ(ask(listener), kNotCapable);

  EXPECT_FALSE(listener.connectionArrives(std::chrono::milliseconds(0)));
}

TEST_P(ReceiverSocketTest, ReceiverReachesItsGrantedAddressAndNoOther) {
  const testing::TcpListener granted;
  const testing::TcpListener other;
  ASSERT_TRUE(granted.port() != 0 && other.port() != 0);
  const NetGrant grant = *parseNetGrant(granted.grant());

  EXPECT_EQ(ask(granted, {grant}), 0);
  EXPECT_TRUE(granted.connectionArrives(std::chrono::seconds(10)));
  EXPECT_EQ(ask(other, {grant}), kNotCapable);
  EXPECT_FALSE(other.connectionArrives(std::chrono::milliseconds(0)));
}

INSTANTIATE_TEST_SUITE_P(Modes, ReceiverSocketTest, testing::everyMode(), testing::modeTestName);

}  // namespace
}  // namespace rr::runtime

namespace rr::runtime {
namespace {

// A live view: while a fan-out to three slow workers runs (each takes 400 ms over its message),
// the report table is printed every 50 ms, with the counts so far.
TEST(LiveStatsTest, ARunningFanOutIsReportedWhileItRuns) {
  const testing::TempDir dir;
  std::FILE* out = std::fopen(dir.file("stats").c_str(), "w+");
  ASSERT_NE(out, nullptr);
  const std::string guests = std::string(RR_BINARY_DIR) + "/guests/";
  const Workflow w{
      .functions = {{.name = "source", .wasm = guests + "fan_source.wasm", .args = {"1000"}},
                    {.name = "worker",
                     .wasm = RR_GUEST_SLOW_RECEIVER,
                     .env = {"SLOW_MS=400"},
                     .instances = 3},
                    {.name = "sink", .wasm = guests + "fan_sink.wasm"}},
      .edges = {{.from = "source", .to = "worker"}, {.from = "source", .to = "sink"}}};
  auto report = runWorkflow(w, {.prefix_output = false,
                                .cache_dir = std::string(RR_BINARY_DIR) + "/test-aot-cache",
                                .stats_interval = std::chrono::milliseconds(50),
                                .stats_out = out});
  std::fclose(out);
  ASSERT_TRUE(report.has_value()) << report.error().message();
  const std::string stats = testing::slurp(dir.file("stats"));
  std::size_t tables = 0;
  for (std::size_t at = stats.find("roadrunner: after "); at != std::string::npos;
       at = stats.find("roadrunner: after ", at + 1)) {
    ++tables;
  }
  EXPECT_GE(tables, 3U) << stats;
  EXPECT_NE(stats.find("worker#2"), std::string::npos) << "every member has a row:\n" << stats;
  EXPECT_EQ(report->instances[0].exit_code, 0);
}

}  // namespace
}  // namespace rr::runtime
