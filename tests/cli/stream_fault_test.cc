// Streams cut by real faults between real processes: a sending `roadrunner up` SIGKILLed
// mid-stream, a TCP link reset under a stream, a serving process SIGKILLed mid-stream. A receiver
// must see an abort, never an end, for a stream cut short, and a writer must fail with
// RR_EUNAVAILABLE rather than hang. The receiver is tests/guests/stream_sink.c under
// `roadrunner serve`, slowed to 10 ms a chunk so a stream is still running when the fault hits;
// what it counted is read from its --metrics page.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "roadrunner/base/unique_fd.h"
#include "roadrunner/guest/abi.h"
#include "roadrunner/sys/subprocess.h"
#include "roadrunner/sys/tcp.h"
#include "roadrunner/transport/socket_endpoint.h"

#include "../testing/http_get.h"
#include "../testing/resetting_relay.h"
#include "../testing/serve_process.h"
#include "../testing/subprocess.h"

namespace rr {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint32_t kChunk = 64 * 1024;
constexpr std::uint64_t kChunks = 200;  // 2 s at the sink's 10 ms a chunk
constexpr std::string_view kCache = "RR_CACHE_DIR=" RR_BINARY_DIR "/test-aot-cache";

/// A deadline for a wait a passing test must not reach.
Clock::time_point deadlineIn(std::chrono::seconds s) {
  return Clock::now() + s * testing::timeScale();
}

using testing::freePort;
using testing::httpGet;

/// What the sink counted, from its server's /metrics. `scraped` is false when the page could not
/// be read; a counter the sink never bumped reads 0.
struct SinkCounts {
  bool scraped = false;
  std::uint64_t chunks = 0;
  std::uint64_t ends = 0;
  std::uint64_t aborts = 0;
  std::uint64_t bad_ends = 0;
};

SinkCounts scrapeSink(std::uint16_t metrics_port) {
  const std::string page = httpGet(metrics_port, "/metrics");
  SinkCounts counts{.scraped = !page.empty()};
  std::istringstream lines(page);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("roadrunner_guest_counter_total{") ||
        line.find(R"(function="sink")") == std::string::npos) {
      continue;
    }
    const auto space = line.rfind(' ');
    const std::uint64_t value = std::stoull(line.substr(space + 1));
    const auto named = [&](std::string_view name) {
      return line.find(std::string(R"(name=")") + std::string(name) + '"') != std::string::npos;
    };
    if (named("chunks")) {
      counts.chunks = value;
    } else if (named("ends")) {
      counts.ends = value;
    } else if (named("aborts")) {
      counts.aborts = value;
    } else if (named("bad_ends")) {
      counts.bad_ends = value;
    }
  }
  return counts;
}

/// Scrapes every 20 ms until `done` holds or `deadline` passes; the last counts.
SinkCounts awaitSink(std::uint16_t metrics_port, Clock::time_point deadline,
                     const std::function<bool(const SinkCounts&)>& done) {
  SinkCounts counts = scrapeSink(metrics_port);
  while (!(counts.scraped && done(counts)) && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    counts = scrapeSink(metrics_port);
  }
  return counts;
}

/// The stream sink served at `listen` with its metrics on `metrics_port`, 10 ms a chunk.
std::unique_ptr<testing::ServeProcess> serveSink(const std::string& listen,
                                                 std::uint16_t metrics_port,
                                                 std::vector<std::string> more = {}) {
  std::vector<std::string> args = {RR_GUEST_STREAM_SINK,
                                   "--name",
                                   "sink",
                                   "--listen",
                                   listen,
                                   "--metrics",
                                   "tcp:127.0.0.1:" + std::to_string(metrics_port),
                                   "--env",
                                   "SINK_SLOW_MS=10"};
  args.insert(args.end(), more.begin(), more.end());
  return std::make_unique<testing::ServeProcess>(RR_CLI, std::move(args),
                                                 std::vector<std::string>{},
                                                 std::vector<std::string>{std::string(kCache)});
}

/// Writes dir/NAME.json: stream_sender streaming `chunks` chunks of kChunk bytes to "sink",
/// which runs at `address` over a `mode` edge.
std::string writeWorkflow(const testing::TempDir& dir, const std::string& name,
                          const std::string& mode, const std::string& address, std::uint64_t chunks,
                          const std::string& secret_file = "") {
  const std::string path = dir.file(name + ".json");
  testing::writeText(
      path, std::string("{") +
                (secret_file.empty() ? "" : R"("secret_file": ")" + secret_file + R"(", )") +
                R"("functions": {
          "sender": {"wasm": ")" RR_GUEST_STREAM_SENDER R"(", "args": ["sink", ")" +
                std::to_string(chunks * kChunk) + R"(", ")" + std::to_string(kChunk) + R"("]},
          "sink": {"wasm": ")" RR_GUEST_STREAM_SINK R"("}},
        "edges": [{"from": "sender", "to": "sink", "mode": ")" +
                mode + R"(", "address": ")" + address + R"("}]})");
  return path;
}

/// `roadrunner up WORKFLOW` in the background, its stdout (the sender's status line) in
/// dir/NAME.out and stderr in dir/NAME.err.
struct UpRun {
  std::optional<sys::Subprocess> process;
  std::string out_path;
  std::string err_path;

  /// Waits until `deadline` for it to exit; its exit status, or nothing (then it is killed).
  std::optional<int> waitUntil(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    auto status = process->waitFor(std::max(left, std::chrono::milliseconds(1)));
    if (!status) {
      (void)process->kill();
      return std::nullopt;
    }
    return *status;
  }
  [[nodiscard]] std::string output() const {
    return testing::slurp(out_path) + "\n--- stderr ---\n" + testing::slurp(err_path);
  }
};

UpRun startUp(const testing::TempDir& dir, const std::string& workflow, const std::string& name) {
  UpRun run{.out_path = dir.file(name + ".out"), .err_path = dir.file(name + ".err")};
  const UniqueFd out(::open(run.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  const UniqueFd err(::open(run.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  std::vector<std::string> env = {std::string(kCache)};
  for (char** e = environ; *e != nullptr; ++e) {
    if (!std::string_view(*e).starts_with("RR_CACHE_DIR=")) {
      env.emplace_back(*e);
    }
  }
  auto p = sys::Subprocess::spawn(
      {.argv = {RR_CLI, "up", workflow}, .env = env, .fds = {{out.get(), 1}, {err.get(), 2}}});
  if (p) {
    run.process = std::move(*p);
  }
  return run;
}

/// The sink's counts once it has taken 5 chunks (or the deadline passed): the stream got going.
SinkCounts awaitStarted(std::uint16_t metrics) {
  return awaitSink(metrics, deadlineIn(std::chrono::seconds(30)),
                   [](const SinkCounts& c) { return c.chunks >= 5; });
}

/// The sink's counts once its stream ended, checked as a cut stream's: one abort, never an end.
SinkCounts expectCutStream(std::uint16_t metrics) {
  const SinkCounts cut = awaitSink(metrics, deadlineIn(std::chrono::seconds(10)),
                                   [](const SinkCounts& c) { return c.aborts + c.ends > 0; });
  EXPECT_EQ(cut.aborts, 1U) << "the cut stream must end in an abort";
  EXPECT_EQ(cut.ends, 0U) << "a cut stream must never look complete";
  EXPECT_EQ(cut.bad_ends, 0U);
  EXPECT_LT(cut.chunks, kChunks);
  return cut;
}

/// Whether the sender's printed status (or its exit code, which `up` passes on) says the
/// receiver became unavailable.
bool senderSawUnavailable(int exit_code, const std::string& output) {
  return exit_code == RR_EUNAVAILABLE ||
         output.find("stream status=receiver unavailable") != std::string::npos;
}

TEST(StreamFaultTest, ASenderKilledMidStreamLeavesItsReceiverAnAbort) {
  const testing::TempDir dir;
  const std::uint16_t metrics = freePort();
  const std::string sock = dir.file("sink.sock");
  const auto serve = serveSink("unix:" + sock, metrics);
  ASSERT_TRUE(serve->ready());

  UpRun up = startUp(dir, writeWorkflow(dir, "cut", "kernel", "unix:" + sock, kChunks), "cut");
  ASSERT_TRUE(up.process.has_value());
  const SinkCounts started = awaitStarted(metrics);
  ASSERT_GE(started.chunks, 5U) << "the stream never got going\n" << up.output();
  ASSERT_EQ(up.process->kill(), 128 + SIGKILL) << "`up` ended before it was killed";

  const SinkCounts cut = expectCutStream(metrics);

  // The server lives on and takes a whole stream afterwards.
  UpRun again = startUp(dir, writeWorkflow(dir, "whole", "kernel", "unix:" + sock, 20), "whole");
  ASSERT_TRUE(again.process.has_value());
  const std::optional<int> status = again.waitUntil(deadlineIn(std::chrono::seconds(20)));
  ASSERT_TRUE(status.has_value()) << "a fresh stream hung\n" << again.output();
  EXPECT_EQ(*status, 0) << again.output();
  const SinkCounts after = awaitSink(metrics, deadlineIn(std::chrono::seconds(5)),
                                     [](const SinkCounts& c) { return c.ends > 0; });
  EXPECT_EQ(after.ends, 1U);
  EXPECT_EQ(after.aborts, 1U);
  EXPECT_EQ(after.chunks, cut.chunks + 20);
}

TEST(StreamFaultTest, ACutNetworkLinkFailsTheWriterAndAbortsTheReceiver) {
  const testing::TempDir dir;
  testing::writeText(dir.file("secret"), "stream-fault-secret\n");
  const std::uint16_t metrics = freePort();
  const auto serve = serveSink("tcp:127.0.0.1:0", metrics, {"--secret-file", dir.file("secret")});
  ASSERT_TRUE(serve->ready());
  const auto upstream = transport::Address::parse(serve->address());
  ASSERT_TRUE(upstream.has_value());
  testing::ResettingRelay relay(upstream->port);
  ASSERT_NE(relay.port(), 0);

  UpRun up =
      startUp(dir,
              writeWorkflow(dir, "cut", "network", "tcp:127.0.0.1:" + std::to_string(relay.port()),
                            kChunks, dir.file("secret")),
              "cut");
  ASSERT_TRUE(up.process.has_value());
  const SinkCounts started = awaitStarted(metrics);
  ASSERT_GE(started.chunks, 5U) << "the stream never got going\n" << up.output();
  relay.reset();

  const std::optional<int> status = up.waitUntil(deadlineIn(std::chrono::seconds(15)));
  ASSERT_TRUE(status.has_value()) << "the writer hung on a cut link\n" << up.output();
  EXPECT_NE(*status, 0) << up.output();
  EXPECT_TRUE(senderSawUnavailable(*status, up.output())) << "exit status " << *status << "\n"
                                                          << up.output();
  EXPECT_GE(relay.resets(), 1);

  (void)expectCutStream(metrics);
}

TEST(StreamFaultTest, AServerKilledMidStreamFailsTheWriter) {
  const testing::TempDir dir;
  const std::uint16_t metrics = freePort();
  const std::string sock = dir.file("sink.sock");
  const auto serve = serveSink("unix:" + sock, metrics);
  ASSERT_TRUE(serve->ready());

  UpRun up = startUp(dir, writeWorkflow(dir, "cut", "kernel", "unix:" + sock, kChunks), "cut");
  ASSERT_TRUE(up.process.has_value());
  const SinkCounts started = awaitStarted(metrics);
  ASSERT_GE(started.chunks, 5U) << "the stream never got going\n" << up.output();
  EXPECT_EQ(serve->stop(SIGKILL), 128 + SIGKILL);

  const std::optional<int> status = up.waitUntil(deadlineIn(std::chrono::seconds(15)));
  ASSERT_TRUE(status.has_value()) << "the writer hung on a dead receiver\n" << up.output();
  EXPECT_TRUE(senderSawUnavailable(*status, up.output())) << "exit status " << *status << "\n"
                                                          << up.output();
}

}  // namespace
}  // namespace rr
