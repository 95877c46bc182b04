// Go guests (guest/go/roadrunner) against C guests and each other, in embedded, kernel and network
// mode, with real guests on real WasmEdge (AOT): transfers whose replies prove the bytes, a fan-out
// to Go receivers, every status the ABI defines as the Go SDK sees it, and the SDK's Status
// constants checked against abi.h.

#include <chrono>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "roadrunner/guest/abi.h"
#include "roadrunner/host/status.h"
#include "roadrunner/runtime/runner.h"

#include "../testing/garbage_peer.h"
#include "../testing/modes.h"
#include "../testing/report.h"
#include "../testing/subprocess.h"

namespace rr::runtime {
namespace {

std::string step(const std::string& what, rr_status_t status) {
  return what + "=" + std::to_string(status);
}

constexpr std::uint32_t kSizes[] = {0U, 4097U, 3000000U};

// A sender (SIZE bytes, 3 rounds, each reply the payload's hash) and a hash receiver.
class GoTransferTest : public ::testing::TestWithParam<EdgeMode> {
 protected:
  static void transfer(const std::string& sender_wasm, const std::string& receiver_wasm) {
    for (const std::uint32_t size : kSizes) {
      const Workflow w{.functions = {{.name = "sender",
                                      .wasm = sender_wasm,
                                      .args = {"sink", std::to_string(size), "3"}},
                                     {.name = "sink", .wasm = receiver_wasm}},
                       .edges = {{.from = "sender", .to = "sink", .mode = GetParam()}}};
      auto r = runWorkflow(w, testing::goRunOptions());
      ASSERT_TRUE(r.has_value()) << r.error().message();
      EXPECT_EQ(testing::instanceNamed(*r, "sender").exit_code, 0)
          << size << " bytes: the reply hash must match";
      EXPECT_EQ(r->exit_code, 0) << size << " bytes";
    }
  }
};

TEST_P(GoTransferTest, GoSenderToCReceiver) {
  transfer(RR_GUEST_GO_SENDER, RR_GUEST_HASH_RECEIVER);
}

TEST_P(GoTransferTest, CSenderToGoReceiver) {
  transfer(RR_GUEST_SENDER, RR_GUEST_GO_HASH_RECEIVER);
}

TEST_P(GoTransferTest, GoSenderToGoReceiver) {
  transfer(RR_GUEST_GO_SENDER, RR_GUEST_GO_HASH_RECEIVER);
}

// SendMove: a MoveBuffer handed over and given back emptied, three rounds; in embedded mode all
// of its whole pages move.
TEST_P(GoTransferTest, GoSenderMovesItsBufferToCReceiver) {
  const std::uint32_t size = 3U << 20;
  const Workflow w{.functions = {{.name = "sender",
                                  .wasm = RR_GUEST_GO_SENDER,
                                  .args = {"sink", std::to_string(size), "3", "move"}},
                                 {.name = "sink", .wasm = RR_GUEST_HASH_RECEIVER}},
                   .edges = {{.from = "sender", .to = "sink", .mode = GetParam()}}};
  auto r = runWorkflow(w, testing::goRunOptions());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  const InstanceReport& sender = testing::instanceNamed(*r, "sender");
  ASSERT_EQ(sender.exit_code, 0) << "100: wrong hash, 102: the buffer came back with bytes in "
                                    "it, 104: not aligned to a huge page";
  EXPECT_EQ(sender.moved_bytes, GetParam() == EdgeMode::kEmbedded ? 3ULL * size : 0U);
}

// NewSharedBuffer: a receiver maps its whole pages (no copy), three rounds: in this process, or
// in a serving one through the memfd (kernel mode, from 1 MiB).
TEST_P(GoTransferTest, GoSenderSharesItsBufferWithCReceiver) {
  const std::uint32_t size = (1U << 20) + 4096;
  const Workflow w{.functions = {{.name = "sender",
                                  .wasm = RR_GUEST_GO_SENDER,
                                  .args = {"sink", std::to_string(size), "3", "shared"}},
                                 {.name = "sink", .wasm = RR_GUEST_HASH_RECEIVER}},
                   .edges = {{.from = "sender", .to = "sink", .mode = GetParam()}}};
  auto r = runWorkflow(w, testing::goRunOptions());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  const InstanceReport& sender = testing::instanceNamed(*r, "sender");
  ASSERT_EQ(sender.exit_code, 0) << "100: wrong hash, 101: the shared bytes changed, 65: no "
                                    "pages shared";
  EXPECT_EQ(sender.mapped_bytes, GetParam() != EdgeMode::kNetwork ? 3ULL * size : 0U);
}

TEST_P(GoTransferTest, GoRelayForwardsToCAndGoReceivers) {
  for (const std::string sink : {RR_GUEST_HASH_RECEIVER, RR_GUEST_GO_HASH_RECEIVER}) {
    const Workflow w{
        .functions = {{.name = "sender",
                       .wasm = RR_GUEST_GO_SENDER,
                       .args = {"relay", "3000000", "2"}},
                      {.name = "relay", .wasm = RR_GUEST_GO_RELAY, .env = {"RELAY_TO=sink"}},
                      {.name = "sink", .wasm = sink}},
        .edges = {{.from = "sender", .to = "relay", .mode = GetParam()},
                  {.from = "relay", .to = "sink", .mode = GetParam()}}};
    auto r = runWorkflow(w, testing::goRunOptions());
    ASSERT_TRUE(r.has_value()) << r.error().message();
    EXPECT_EQ(testing::instanceNamed(*r, "sender").exit_code, 0) << sink;
  }
}

TEST_P(GoTransferTest, FanOutToAGroupOfGoReceivers) {
  const Workflow w{
      .functions = {{.name = "sender",
                     .wasm = RR_GUEST_GO_STATUS_PROBE,
                     .args = {step("send:worker:70000", RR_OK), step("member:worker:2:4097", RR_OK),
                              step("member:worker:4:1", RR_EUNKNOWN_TARGET)}},
                    {.name = "worker", .wasm = RR_GUEST_GO_HASH_RECEIVER, .instances = 4}},
      .edges = {{.from = "sender", .to = "worker", .mode = GetParam()}}};
  auto r = runWorkflow(w, testing::goRunOptions());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(testing::instanceNamed(*r, "sender").exit_code, 0)
      << "0: every step got the status it expected";
  if (GetParam() == EdgeMode::kEmbedded) {  // served members report in their own processes
    for (int k = 0; k < 4; ++k) {
      const std::string name = "worker#" + std::to_string(k);
      EXPECT_EQ(testing::instanceNamed(*r, name).deliveries, k == 2 ? 2U : 1U) << name;
    }
  }
  EXPECT_EQ(r->exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Modes, GoTransferTest, testing::everyMode(), testing::modeTestName);

// The Go status_probe provokes every status it can against C and Go receivers; it exits with the
// index of the first step that got another status than abi.h's number, so 0 is a pass.
class GoStatusTest : public ::testing::TestWithParam<EdgeMode> {};

TEST_P(GoStatusTest, GoSenderObservesEveryStatus) {
  const testing::TempDir state;
  const std::vector<std::string> steps = {
      step("send:sink:10", RR_OK),
      step("send:nobody:10", RR_EUNKNOWN_TARGET),
      step("send:other:10", RR_ENOT_ALLOWED),
      step("send:small:100001", RR_ETOO_LARGE),
      step("send:zero:5000", RR_ENOMEM),
      step("send:bogus:5000", RR_EBAD_ALLOC),
      step("send:misaligned:5000", RR_EBAD_ALLOC),
      step("text:sink:TRAP", RR_ERECEIVER_FAILED),
      step("send:sink:4097", RR_OK),
      step("send:failing:10", RR_EHANDLER),
      step("fault-name", RR_EFAULT),
      step("fault-payload", RR_EFAULT),
      step("ask:big:5000:4096", RR_EREPLY_TOO_LARGE),
      step("ask:big:5000:5000", RR_OK),
      step("request:sink:10:4:8", RR_EHANDLER),  // hash_receiver fails when its reply does not fit
      step("request:sink:10:8:8", RR_OK),
      step("reply", RR_ENO_REPLY_CONTEXT),
      step("text:victim:spin", RR_ETIMEDOUT),
      step("text:victim:ok", RR_OK),
      step("empty:10", RR_EINVAL),
      step("request:group:10:8:0", RR_EINVAL),
      step("text:victim:exit", RR_EEXITED),
      step("text:victim:ok", RR_OK),
      step("text:once:trap", RR_ERECEIVER_FAILED),
      step("send:once:10", RR_EUNAVAILABLE),
  };
  // RR_EPROTO is not here: only a peer that breaks the wire protocol returns it (a Roadrunner host
  // does not), so GoSdkTest.PeerThatBreaksTheWireProtocolIsProto fakes one.
  const EdgeMode mode = GetParam();
  std::vector<EdgeSpec> edges = {{.from = "feeder", .to = "other", .mode = mode}};
  for (const char* to : {"sink", "small", "zero", "bogus", "misaligned", "failing", "victim",
                         "group", "once", "big"}) {
    edges.push_back({.from = "probe", .to = to, .mode = mode});
  }
  const Workflow w{
      .functions =
          {{.name = "probe", .wasm = RR_GUEST_GO_STATUS_PROBE, .args = steps},
           {.name = "sink", .wasm = RR_GUEST_HASH_RECEIVER},
           {.name = "other", .wasm = RR_GUEST_HASH_RECEIVER},
           {.name = "feeder", .wasm = RR_GUEST_GO_SENDER, .args = {"other", "1"}},
           {.name = "small", .wasm = RR_GUEST_HASH_RECEIVER, .max_payload = 100000},
           {.name = "zero", .wasm = RR_GUEST_HOSTILE_RECEIVER, .env = {"HOSTILE=zero"}},
           {.name = "bogus", .wasm = RR_GUEST_HOSTILE_RECEIVER, .env = {"HOSTILE=bogus"}},
           {.name = "misaligned", .wasm = RR_GUEST_HOSTILE_RECEIVER, .env = {"HOSTILE=misaligned"}},
           {.name = "failing", .wasm = RR_GUEST_RELAY, .env = {"RELAY_TO=nobody"}},
           {.name = "victim", .wasm = RR_GUEST_ATTACK_RECEIVER, .timeout_ms = 1000},
           {.name = "group", .wasm = RR_GUEST_HASH_RECEIVER, .instances = 2},
           {.name = "once", .wasm = RR_GUEST_ONCE_RECEIVER, .dirs = {"/state:" + state.path()}},
           {.name = "big", .wasm = RR_GUEST_BIG_REPLY_RECEIVER}},
      .edges = edges};
  auto r = runWorkflow(w, testing::goRunOptions());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  const int failed = testing::instanceNamed(*r, "probe").exit_code;
  EXPECT_EQ(failed, 0) << "first step with another status: "
                       << (failed > 0 && static_cast<std::size_t>(failed) <= steps.size()
                               ? steps[static_cast<std::size_t>(failed) - 1]
                               : "-");
  EXPECT_EQ(testing::instanceNamed(*r, "feeder").exit_code, 0);
}

// The statuses a Go receiver produces: a trap (its instance is rebuilt, _initialize included, and
// serves again), a handler error, and a reply that did not fit, which the Go hash receiver turns
// into a handler error as hash_receiver.c does.
TEST_P(GoStatusTest, GoReceiverTrapsFailsAndRecovers) {
  const Workflow w{
      .functions = {{.name = "probe",
                     .wasm = RR_GUEST_GO_STATUS_PROBE,
                     .args = {step("request:sink:4097:8:8", RR_OK),
                              step("text:sink:TRAP", RR_ERECEIVER_FAILED),
                              step("request:sink:3000000:8:8", RR_OK),
                              step("request:sink:10:4:8", RR_EHANDLER),
                              step("send:failing:10", RR_EHANDLER),
                              step("send:small:100001", RR_ETOO_LARGE),
                              step("request:small:100000:8:8", RR_OK)}},
                    {.name = "sink", .wasm = RR_GUEST_GO_HASH_RECEIVER},
                    {.name = "failing", .wasm = RR_GUEST_GO_RELAY, .env = {"RELAY_TO=nobody"}},
                    {.name = "small", .wasm = RR_GUEST_GO_HASH_RECEIVER, .max_payload = 100000}},
      .edges = {{.from = "probe", .to = "sink", .mode = GetParam()},
                {.from = "probe", .to = "failing", .mode = GetParam()},
                {.from = "probe", .to = "small", .mode = GetParam()}}};
  auto r = runWorkflow(w, testing::goRunOptions());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(testing::instanceNamed(*r, "probe").exit_code, 0)
      << "1-based index of the first unexpected status";
  if (GetParam() == EdgeMode::kEmbedded) {  // a served function's traps stay in its process
    EXPECT_EQ(r->exit_code, 1) << "a trapped handler fails the workflow";
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, GoStatusTest, testing::everyMode(), testing::modeTestName);

// Every Status constant of the Go SDK has abi.h's number and the host's name for it (which the C
// SDK's rr_status_name shares), so the Go numbers are never retyped unchecked.
TEST(GoSdkTest, StatusConstantsMatchTheAbiHeader) {
  const std::vector<std::pair<const char*, rr_status_t>> want = {
      {"OK", RR_OK},
      {"UnknownTarget", RR_EUNKNOWN_TARGET},
      {"NotAllowed", RR_ENOT_ALLOWED},
      {"TooLarge", RR_ETOO_LARGE},
      {"NoMemory", RR_ENOMEM},
      {"BadAlloc", RR_EBAD_ALLOC},
      {"ReceiverFailed", RR_ERECEIVER_FAILED},
      {"HandlerError", RR_EHANDLER},
      {"Fault", RR_EFAULT},
      {"ReplyTooLarge", RR_EREPLY_TOO_LARGE},
      {"NoReplyContext", RR_ENO_REPLY_CONTEXT},
      {"Unavailable", RR_EUNAVAILABLE},
      {"TimedOut", RR_ETIMEDOUT},
      {"Proto", RR_EPROTO},
      {"Invalid", RR_EINVAL},
      {"Exited", RR_EEXITED},
      {"NoStreams", RR_ENO_STREAMS},
      {"WouldBlock", RR_EWOULDBLOCK},
  };
  ASSERT_EQ(want.size(), RR_STATUS_MAX + 1U)
      << "a status was added to abi.h: add it here and to Go";
  std::vector<std::string> args;
  args.reserve(want.size() + 1);
  for (const auto& [name, status] : want) {
    args.push_back("constant:" + std::string(name) + ":" + std::to_string(status) + ":" +
                   host::statusName(static_cast<host::Status>(status)));
  }
  args.push_back("constant:-:" + std::to_string(RR_STATUS_MAX + 1U) + ":unknown status");
  const Workflow w{
      .functions = {{.name = "probe", .wasm = RR_GUEST_GO_STATUS_PROBE, .args = args}}};
  auto r = runWorkflow(w, testing::goRunOptions());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  const int failed = testing::instanceNamed(*r, "probe").exit_code;
  EXPECT_EQ(failed, 0) << (failed > 0 && static_cast<std::size_t>(failed) <= args.size()
                               ? "differs from abi.h: " + args[static_cast<std::size_t>(failed) - 1]
                               : "99: the Go SDK has a constant abi.h does not");
}

// A kernel edge to a UNIX socket whose peer answers a request with a response header of garbage:
// the Go sender gets RR_EPROTO.
TEST(GoSdkTest, PeerThatBreaksTheWireProtocolIsProto) {
  const testing::TempDir dir;
  const std::string path = dir.file("fake.sock");
  const testing::GarbagePeer peer(path);
  ASSERT_TRUE(peer.ok());
  const Workflow w{
      .functions = {{.name = "probe",
                     .wasm = RR_GUEST_GO_STATUS_PROBE,
                     .args = {step("send:fake:10", RR_EPROTO)}},
                    {.name = "fake", .wasm = "runs-elsewhere.wasm"}},
      .edges = {
          {.from = "probe", .to = "fake", .mode = EdgeMode::kKernel, .address = "unix:" + path}}};
  auto r = runWorkflow(w, testing::goRunOptions());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(testing::instanceNamed(*r, "probe").exit_code, 0) << "1: another status than RR_EPROTO";
}

// A Go module takes WasmEdge about 40 s to compile, past a serving process's ready deadline.
// The runner compiles a served function before it starts its process, in the variant that
// process uses (here: without a time limit, while another function of the run has one, so the
// run's own variant is interruptible), into the cache it hands down; the process then reports
// ready at once. A fresh cache and a 15 s deadline: with either half missing, the start fails.
TEST(GoServedStartTest, AServedGoReceiverIsCompiledBeforeItsProcessStarts) {
  const testing::TempDir cache;
  const Workflow w{
      .functions = {{.name = "sender", .wasm = RR_GUEST_SENDER, .args = {"sink", "70000", "2"}},
                    {.name = "sink", .wasm = RR_GUEST_GO_HASH_RECEIVER},
                    {.name = "sender2", .wasm = RR_GUEST_SENDER, .args = {"limited", "100"}},
                    {.name = "limited", .wasm = RR_GUEST_HASH_RECEIVER, .timeout_ms = 60000}},
      .edges = {{.from = "sender", .to = "sink", .mode = EdgeMode::kKernel},
                {.from = "sender2", .to = "limited"}}};
  RunOptions o = testing::servedRunOptions();
  o.cache_dir = cache.file("run");
  o.ready_timeout = std::chrono::seconds(15);
  // The serving process's own default cache is fresh too (it inherits our environment).
  const char* saved = std::getenv("RR_CACHE_DIR");
  const std::string restore = saved != nullptr ? saved : "";
  ::setenv("RR_CACHE_DIR", cache.file("default").c_str(), 1);
  auto r = runWorkflow(w, o);
  if (saved != nullptr) {
    ::setenv("RR_CACHE_DIR", restore.c_str(), 1);
  } else {
    ::unsetenv("RR_CACHE_DIR");
  }
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(testing::instanceNamed(*r, "sender").exit_code, 0);
  EXPECT_EQ(r->exit_code, 0);
}

}  // namespace
}  // namespace rr::runtime
