// Metrics: a real workflow's transfers reach its edges' counters and histograms with the
// labels docs/observability.md names, and MetricsServer answers HTTP over a real socket, also
// to clients that misbehave.

#include "roadrunner/runtime/metrics.h"

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <new>
#include <string>

#include <gtest/gtest.h>

#include "roadrunner/guest/abi.h"
#include "roadrunner/runtime/runner.h"
#include "roadrunner/sys/socket.h"
#include "roadrunner/sys/tcp.h"

#include "../testing/modes.h"
#include "../testing/report.h"
#include "../testing/subprocess.h"

namespace rr::runtime {
namespace {

bool hasLine(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.starts_with(line + "\n");
}

class MetricsTest : public ::testing::TestWithParam<EdgeMode> {};

TEST_P(MetricsTest, AWorkflowsTransfersReachItsEdge) {
  const std::string mode = modeName(GetParam());
  const Workflow w{
      .functions = {{.name = "sender", .wasm = RR_GUEST_SENDER, .args = {"sink", "70000", "3"}},
                    {.name = "sink", .wasm = RR_GUEST_HASH_RECEIVER}},
      .edges = {{.from = "sender", .to = "sink", .mode = GetParam()}}};
  auto r = runWorkflow(w, testing::servedRunOptions());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  ASSERT_EQ(r->exit_code, 0);
  const std::string edge = "{from=\"sender\",to=\"sink\",mode=\"" + mode + "\"";
  const std::string& m = r->metrics;
  EXPECT_TRUE(hasLine(m, "roadrunner_transfers_total" + edge + ",status=\"ok\"} 3")) << m;
  EXPECT_TRUE(hasLine(m, "roadrunner_transfer_bytes_total" + edge + "} 210000")) << m;
  // Embedded: one copy each; over a socket below the memfd threshold: the write and the read.
  EXPECT_TRUE(hasLine(
      m, "roadrunner_copies_total" + edge + "} " + (GetParam() == EdgeMode::kEmbedded ? "3" : "6")))
      << m;
  EXPECT_TRUE(hasLine(m, "roadrunner_handler_duration_seconds_count" + edge + "} 3")) << m;
  EXPECT_TRUE(hasLine(m, "roadrunner_transfer_to_handler_seconds_count" + edge + "} " +
                             (GetParam() == EdgeMode::kNetwork ? "0" : "3")))
      << m;
  EXPECT_TRUE(hasLine(m, "roadrunner_handler_duration_seconds_bucket" + edge + ",le=\"+Inf\"} 3"))
      << m;
  EXPECT_TRUE(hasLine(m, "roadrunner_function_instances{function=\"sender\"} 1")) << m;
  EXPECT_TRUE(hasLine(m, "roadrunner_memfd_pool_bytes 0")) << "70,000 bytes go by socket" << m;
}

// A kernel-mode sender's pooled memfd shows in the gauge: one sending thread, one memfd sized
// for its largest payload (a power of two from 64 KiB up).
TEST(MetricsPoolTest, AKernelSendersMemfdPoolIsAGauge) {
  const Workflow w{
      .functions = {{.name = "sender", .wasm = RR_GUEST_SENDER, .args = {"sink", "3000000", "2"}},
                    {.name = "sink", .wasm = RR_GUEST_HASH_RECEIVER}},
      .edges = {{.from = "sender", .to = "sink", .mode = EdgeMode::kKernel}}};
  auto r = runWorkflow(w, testing::servedRunOptions());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  ASSERT_EQ(r->exit_code, 0);
  EXPECT_TRUE(hasLine(r->metrics, "roadrunner_memfd_pool_bytes 4194304")) << r->metrics;
}

INSTANTIATE_TEST_SUITE_P(Modes, MetricsTest, testing::everyMode(), testing::modeTestName);

// A group is one edge and one function, however many members it has: label values stay as
// many as the workflow has edges and functions. shared_sender sends each round's payload (from
// a shared buffer: mapped into every member) and a "CHECK" message.
TEST(MetricsGroupTest, AGroupsMembersAreOneFunctionAndOneEdge) {
  const Workflow w{
      .functions = {{.name = "sender",
                     .wasm = RR_GUEST_SHARED_SENDER,
                     .args = {"sinks", "65536", testing::freshSeed(), "2"}},
                    {.name = "sinks", .wasm = RR_GUEST_SHARED_RECEIVER, .instances = 4}},
      .edges = {{.from = "sender", .to = "sinks"}}};
  auto r = runWorkflow(w, testing::servedRunOptions());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  ASSERT_EQ(r->exit_code, 0);
  const std::string& m = r->metrics;
  const std::string edge = "{from=\"sender\",to=\"sinks\",mode=\"embedded\"";
  EXPECT_TRUE(hasLine(m, "roadrunner_function_instances{function=\"sinks\"} 4")) << m;
  EXPECT_TRUE(hasLine(m, "roadrunner_deliveries_total{function=\"sinks\"} 16")) << m;
  EXPECT_TRUE(hasLine(m, "roadrunner_transfers_total" + edge + ",status=\"ok\"} 4")) << m;
  EXPECT_TRUE(hasLine(m, "roadrunner_mapped_bytes_total" + edge + "} 524288")) << m;
  EXPECT_TRUE(hasLine(m, "roadrunner_copies_total" + edge + "} 8")) << "each CHECK, to 4" << m;
  EXPECT_EQ(m.find("sinks#"), std::string::npos) << "no member's name as a label value";
}

// A function's own counters (add_counter): the C SDK's statuses for every hostile name, then
// the counts as the host exports them, summed per function and name.
// A handler that traps, one that calls proc_exit and one that spins past its time limit: three
// traps (each a new instance), of which one time-out and one exit.
TEST(HandlerFailureMetricsTest, TimeOutsAndExitsAreCountedApartFromOtherTraps) {
  const auto status = [](const char* attack, rr_status_t s) {
    return std::string(attack) + "=" + std::to_string(s);
  };
  const Workflow w{
      .functions = {{.name = "attacker",
                     .wasm = RR_GUEST_ATTACK_SENDER,
                     .args = {"victim", status("trap", RR_ERECEIVER_FAILED),
                              status("exit", RR_EEXITED), status("spin", RR_ETIMEDOUT),
                              status("ok", RR_OK)}},
                    {.name = "victim", .wasm = RR_GUEST_ATTACK_RECEIVER, .timeout_ms = 300}},
      .edges = {{.from = "attacker", .to = "victim", .mode = EdgeMode::kEmbedded}}};
  auto r = runWorkflow(w, testing::servedRunOptions());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  // The run fails (its receiver's handlers failed); the counts say how.
  const std::string& m = r->metrics;
  EXPECT_TRUE(hasLine(m, "roadrunner_handler_traps_total{function=\"victim\"} 3")) << m;
  EXPECT_TRUE(hasLine(m, "roadrunner_handler_timeouts_total{function=\"victim\"} 1")) << m;
  EXPECT_TRUE(hasLine(m, "roadrunner_handler_exits_total{function=\"victim\"} 1")) << m;
}

TEST(GuestCounterTest, AFunctionsOwnCountersAreExportedAndHostileNamesRefused) {
  const Workflow w{.functions = {{.name = "probe", .wasm = RR_GUEST_COUNTER_PROBE}}};
  auto r = runWorkflow(w, testing::servedRunOptions());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  ASSERT_EQ(r->exit_code, 0) << "101: counting failed, 102-104: a bad name or pointer was not "
                                "refused, 105-106: the limit of 32 names";
  const std::string& m = r->metrics;
  EXPECT_TRUE(hasLine(m, "roadrunner_guest_counter_total{function=\"probe\",name=\"messages\"} 8"))
      << m;
  EXPECT_TRUE(hasLine(m, "roadrunner_guest_counter_total{function=\"probe\",name=\"fill_30\"} 30"))
      << m;
  EXPECT_EQ(m.find("one_too_many"), std::string::npos) << m;
}

// The Rust and Go SDKs' count: their hash receivers count each message, in a group of three.
TEST(GuestCounterTest, RustAndGoReceiversCountTheirMessages) {
  for (const char* wasm : {RR_GUEST_RUST_HASH_RECEIVER, RR_GUEST_GO_HASH_RECEIVER}) {
    SCOPED_TRACE(wasm);
    const Workflow w{
        .functions = {{.name = "sender", .wasm = RR_GUEST_SENDER, .args = {"sink#1", "1000", "5"}},
                      {.name = "sink", .wasm = wasm, .instances = 3}},
        .edges = {{.from = "sender", .to = "sink"}}};
    auto r = runWorkflow(w, testing::goRunOptions());
    ASSERT_TRUE(r.has_value()) << r.error().message();
    ASSERT_EQ(r->exit_code, 0);
    EXPECT_TRUE(hasLine(r->metrics,
                        "roadrunner_guest_counter_total{function=\"sink\",name=\"messages\"} 5"))
        << r->metrics;
  }
}

// One HTTP exchange over the server's UNIX socket: what came back before the server closed.
std::string exchange(const std::string& path, const std::string& request) {
  auto fd = sys::connectUnix(path);
  EXPECT_TRUE(fd.has_value());
  if (!fd) {
    return {};
  }
  (void)::send(fd->get(), request.data(), request.size(), MSG_NOSIGNAL);
  std::string answer;
  std::array<char, 4096> chunk{};
  for (;;) {
    const ssize_t n = ::recv(fd->get(), chunk.data(), chunk.size(), 0);
    if (n <= 0) {
      return answer;
    }
    answer.append(chunk.data(), static_cast<std::size_t>(n));
  }
}

class MetricsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = MetricsServer::start({.path = dir_.file("metrics.sock")}, [this] {
      ++renders_;
      return std::string("roadrunner_test 1\n");
    });
    ASSERT_TRUE(s.has_value()) << s.error().message();
    server_ = std::move(*s);
  }
  [[nodiscard]] std::string get(const std::string& path) {
    return exchange(dir_.file("metrics.sock"), "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
  }
  testing::TempDir dir_;
  std::atomic<int> renders_{0};
  std::unique_ptr<MetricsServer> server_;
};

TEST_F(MetricsServerTest, AnswersMetricsAndRefusesEverythingElse) {
  const std::string ok = get("/metrics?x=1");
  EXPECT_TRUE(ok.starts_with("HTTP/1.1 200 OK\r\n")) << ok;
  EXPECT_NE(ok.find("Content-Type: text/plain; version=0.0.4"), std::string::npos) << ok;
  EXPECT_TRUE(ok.ends_with("\r\n\r\nroadrunner_test 1\n")) << ok;
  EXPECT_TRUE(get("/").starts_with("HTTP/1.1 404")) << get("/");
  EXPECT_TRUE(exchange(dir_.file("metrics.sock"), "POST /metrics HTTP/1.1\r\n\r\n")
                  .starts_with("HTTP/1.1 405"));
  EXPECT_EQ(renders_.load(), 1) << "only a GET /metrics renders";
}

TEST_F(MetricsServerTest, AnOversizedRequestIsDroppedAndTheServerGoesOn) {
  EXPECT_EQ(exchange(dir_.file("metrics.sock"), "GET /" + std::string(9000, 'a')), "");
  EXPECT_TRUE(exchange(dir_.file("metrics.sock"), std::string(100, '\0') + "\r\n\r\n")
                  .starts_with("HTTP/1.1 405"))
      << "bytes that are no request line";
  EXPECT_TRUE(get("/metrics").starts_with("HTTP/1.1 200")) << "still serving";
}

TEST_F(MetricsServerTest, AClientThatSendsNothingHoldsTheServerForTwoSecondsAtMost) {
  auto idle = sys::connectUnix(dir_.file("metrics.sock"));
  ASSERT_TRUE(idle.has_value());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(get("/metrics").starts_with("HTTP/1.1 200"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
}

TEST_F(MetricsServerTest, AThousandShortConnectionsAreEachAnswered) {
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(get("/metrics").starts_with("HTTP/1.1 200")) << i;
  }
  EXPECT_EQ(renders_.load(), 1000);
}

TEST(MetricsServerFailureTest, ARenderThatThrowsIsA500AndTheServerGoesOn) {
  const testing::TempDir dir;
  int calls = 0;
  auto s = MetricsServer::start({.path = dir.file("m.sock")}, [&calls] {
    if (++calls == 1) {
      throw std::bad_alloc();
    }
    return std::string("roadrunner_test 1\n");
  });
  ASSERT_TRUE(s.has_value());
  const std::string request = "GET /metrics HTTP/1.1\r\n\r\n";
  EXPECT_TRUE(exchange(dir.file("m.sock"), request).starts_with("HTTP/1.1 500"));
  EXPECT_TRUE(exchange(dir.file("m.sock"), request).starts_with("HTTP/1.1 200"));
}

// A metrics address another process listens on: the run fails before it starts any function.
TEST(MetricsAddressTest, AnAddressInUseIsASetUpError) {
  auto other = sys::listenTcp("127.0.0.1", 0);
  ASSERT_TRUE(other.has_value());
  const auto port = sys::localPort(other->get());
  ASSERT_TRUE(port.has_value());
  const Workflow w{.functions = {{.name = "probe", .wasm = RR_GUEST_COUNTER_PROBE}}};
  RunOptions options = testing::servedRunOptions();
  options.metrics_address = "tcp:127.0.0.1:" + std::to_string(*port);
  auto r = runWorkflow(w, options);
  ASSERT_FALSE(r.has_value()) << "the port is taken";
  EXPECT_NE(r.error().message().find("Address already in use"), std::string::npos)
      << r.error().message();
}

TEST(MetricsServerStopTest, StopRemovesTheSocketAndADnsAddressIsRefused) {
  const testing::TempDir dir;
  auto s = MetricsServer::start({.path = dir.file("m.sock")}, [] { return std::string(); });
  ASSERT_TRUE(s.has_value());
  (*s)->stop();
  EXPECT_FALSE(std::filesystem::exists(dir.file("m.sock")));
  EXPECT_FALSE(MetricsServer::start({.kind = transport::Address::Kind::kDns, .host = "x"}, [] {
                 return std::string();
               }).has_value());
}

}  // namespace
}  // namespace rr::runtime
