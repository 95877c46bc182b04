// A real Prometheus server (Debian's `prometheus`) scrapes `roadrunner serve --metrics` and
// `roadrunner up --metrics`, and the test asks it, through its HTTP API, what it stored; its
// `promtool` checks the exposition itself. Skipped where the package is missing (scripts/test
// installs it).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "roadrunner/sys/socket.h"
#include "roadrunner/sys/subprocess.h"
#include "roadrunner/sys/tcp.h"

#include "../testing/http_get.h"
#include "../testing/serve_process.h"
#include "../testing/subprocess.h"

namespace rr {
namespace {

using nlohmann::json;

using testing::freePort;
using testing::httpGet;

// A Prometheus server scraping `target` (HOST:PORT) every 500 ms, its data in `dir`.
class Prometheus {
 public:
  Prometheus(const testing::TempDir& dir, const std::string& target) : port_(freePort()) {
    testing::writeText(dir.file("prometheus.yml"),
                       "global:\n  scrape_interval: 500ms\n  scrape_timeout: 400ms\n"
                       "scrape_configs:\n  - job_name: roadrunner\n    static_configs:\n"
                       "      - targets: ['" +
                           target + "']\n");
    auto p = sys::Subprocess::spawn(
        {.argv = {"prometheus", "--config.file=" + dir.file("prometheus.yml"),
                  "--storage.tsdb.path=" + dir.file("tsdb"),
                  "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--log.level=error"},
         .search_path = true});
    if (p) {
      process_ = std::move(*p);
    }
  }
  /// Whether it answers /-/ready within 30 s.
  [[nodiscard]] bool ready() const {
    for (int i = 0; i < 300 && process_; ++i) {
      if (!httpGet(port_, "/-/ready").empty()) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  /// The instant vector `expr` evaluates to (its "result" array), or null.
  [[nodiscard]] json query(const std::string& expr) const {
    std::string encoded;
    for (const char c : expr) {
      encoded += std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'
                     ? std::string(1, c)
                     : std::format("%{:02X}", static_cast<unsigned char>(c));
    }
    const json answer = json::parse(httpGet(port_, "/api/v1/query?query=" + encoded), nullptr,
                                    /*allow_exceptions=*/false);
    return answer.is_object() && answer.value("status", "") == "success" ? answer["data"]["result"]
                                                                         : json();
  }
  /// Polls `expr` for up to 30 s until its first sample's value is `want`; its last result.
  [[nodiscard]] json await(const std::string& expr, const std::string& want) const {
    json result;
    for (int i = 0; i < 150; ++i) {
      result = query(expr);
      if (result.is_array() && !result.empty() && result[0]["value"][1] == want) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return result;
  }

 private:
  std::uint16_t port_;
  std::optional<sys::Subprocess> process_;
};

bool havePrometheus() {
  return testing::run({"/bin/sh", "-c", "command -v prometheus"}).exit_code == 0;
}

TEST(MetricsScrapeTest, PrometheusStoresWhatAServedFunctionCounted) {
  if (!havePrometheus()) {
    GTEST_SKIP() << "no prometheus (apt-get install prometheus; scripts/test does)";
  }
  const testing::TempDir dir;
  const std::uint16_t metrics_port = freePort();
  const std::string sock = dir.file("counter.sock");
  testing::ServeProcess serve(
      RR_CLI,
      {RR_GUEST_HASH_RECEIVER, "--name", "counter", "--listen", "unix:" + sock, "--metrics",
       "tcp:127.0.0.1:" + std::to_string(metrics_port)},
      {}, {"RR_CACHE_DIR=" RR_BINARY_DIR "/test-aot-cache"});
  ASSERT_TRUE(serve.ready());
  testing::writeText(dir.file("in.txt"), std::string(70000, 'x'));
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(testing::run({RR_CLI, "send", "--to", "unix:" + sock, dir.file("in.txt")}).exit_code,
              0);
  }
  const Prometheus prometheus(dir, "127.0.0.1:" + std::to_string(metrics_port));
  ASSERT_TRUE(prometheus.ready());
  const json deliveries = prometheus.await("roadrunner_deliveries_total", "3");
  ASSERT_TRUE(deliveries.is_array() && !deliveries.empty()) << deliveries.dump();
  EXPECT_EQ(deliveries[0]["value"][1], "3") << deliveries.dump();
  EXPECT_EQ(deliveries[0]["metric"]["function"], "counter") << deliveries.dump();
  const json bytes = prometheus.await("roadrunner_delivered_bytes_total", "210000");
  ASSERT_TRUE(bytes.is_array() && !bytes.empty()) << bytes.dump();
  EXPECT_EQ(bytes[0]["value"][1], "210000");
  const json up = prometheus.query("up");
  ASSERT_TRUE(up.is_array() && !up.empty()) << up.dump();
  EXPECT_EQ(up[0]["value"][1], "1") << "Prometheus scraped the target without an error";

  // A sender that connected and stays: one open connection, while the finished ones are gone.
  auto idle = sys::connectUnix(sock);
  ASSERT_TRUE(idle.has_value());
  std::string text;
  for (int i = 0; i < 100; ++i) {
    text = httpGet(metrics_port, "/metrics");
    if (text.find("roadrunner_open_connections{function=\"counter\"} 1\n") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_NE(text.find("roadrunner_open_connections{function=\"counter\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("roadrunner_dropped_connections_total{function=\"counter\"} 0\n"),
            std::string::npos)
      << text;

  // promtool, Prometheus's own parser, accepts what the server exposes.
  testing::writeText(dir.file("metrics.txt"), text);
  const auto check =
      testing::run({"/bin/sh", "-c", "promtool check metrics < '" + dir.file("metrics.txt") + "'"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

// `up` serves its metrics while the run lasts: Prometheus sees the edge's transfers rise as a
// sender sends six messages (three rounds of shared_sender's) to a receiver that takes 600 ms a
// message.
TEST(MetricsScrapeTest, PrometheusScrapesARunningWorkflowsEdges) {
  if (!havePrometheus()) {
    GTEST_SKIP() << "no prometheus (apt-get install prometheus; scripts/test does)";
  }
  const testing::TempDir dir;
  const std::uint16_t metrics_port = freePort();
  testing::writeText(
      dir.file("w.json"),
      json{{"functions",
            {{"sender", {{"wasm", RR_GUEST_SHARED_SENDER}, {"args", {"sink", "8192", "7", "3"}}}},
             {"sink", {{"wasm", RR_GUEST_SLOW_RECEIVER}, {"env", {{"SLOW_MS", "600"}}}}}}},
           {"edges", {{{"from", "sender"}, {"to", "sink"}, {"mode", "embedded"}}}}}
          .dump());
  const Prometheus prometheus(dir, "127.0.0.1:" + std::to_string(metrics_port));
  ASSERT_TRUE(prometheus.ready());
  // Prometheus hands a new target to its scrapers after some seconds: wait until it has tried
  // the address once (nothing listens yet: `up` is 0), so the run is scraped from its start.
  ASSERT_FALSE(prometheus.await("count(up)", "1").empty()) << "the target was never tried";
  const auto run = testing::run({RR_CLI, "up", dir.file("w.json"), "--metrics",
                                 "tcp:127.0.0.1:" + std::to_string(metrics_port)},
                                {"RR_CACHE_DIR=" RR_BINARY_DIR "/test-aot-cache"});
  EXPECT_NE(run.err.find("roadrunner: metrics on tcp:127.0.0.1:" + std::to_string(metrics_port) +
                         " at /metrics"),
            std::string::npos)
      << run.err;
  const json seen = prometheus.query(
      "max_over_time(roadrunner_transfers_total{from=\"sender\",to=\"sink\","
      "mode=\"embedded\",status=\"ok\"}[5m])");
  ASSERT_TRUE(seen.is_array() && !seen.empty())
      << seen.dump() << prometheus.query("up").dump()
      << prometheus.query("roadrunner_transfers_total").dump() << run.err;
  const int transfers = std::stoi(seen[0]["value"][1].get<std::string>());
  EXPECT_GE(transfers, 1) << "scraped while the run lasted";
  EXPECT_LE(transfers, 6);
}

}  // namespace
}  // namespace rr
