// `roadrunner up --traces` across three processes: `up` runs two senders, a relay and a hash
// receiver each run in a serving process of their own, and every span reaches a local OTLP/HTTP
// receiver (cpp-httplib, JSON) that the test runs. The test checks the links span by span: one
// trace, the run's span at its root, each handler run the child of the send that caused it, and
// each relayed send the child of the relay's handler run. Skipped in a build without the OTLP
// exporter (scripts/test installs it).

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "../testing/subprocess.h"

namespace rr {
namespace {

using nlohmann::json;

struct SpanSeen {
  std::string service;
  std::string trace;
  std::string id;
  std::string parent;
  std::string name;
  std::map<std::string, std::string> attributes;  // every value as text
  std::vector<std::string> events;
};

// An OTLP/HTTP collector for one test: POST /v1/traces with JSON bodies.
class OtlpReceiver {
 public:
  OtlpReceiver() {
    server_.Post("/v1/traces", [this](const httplib::Request& req, httplib::Response& res) {
      collect(json::parse(req.body, nullptr, /*allow_exceptions=*/false));
      res.set_content("{}", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    server_.wait_until_ready();
  }
  ~OtlpReceiver() {
    server_.stop();
    thread_.join();
  }
  OtlpReceiver(const OtlpReceiver&) = delete;
  OtlpReceiver& operator=(const OtlpReceiver&) = delete;

  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] std::vector<SpanSeen> spans() {
    const std::scoped_lock lock(mutex_);
    return spans_;
  }
  // The spans once `n` have come: serving processes export as they stop, so a slow machine may
  // need a moment after `up` returns. Fewer than `n` after 5 s (scaled): what came.
  [[nodiscard]] std::vector<SpanSeen> awaitSpans(std::size_t n) {
    std::vector<SpanSeen> seen;
    for (int i = 0; i < 100 * testing::timeScale(); ++i) {
      seen = spans();
      if (seen.size() >= n) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return seen;
  }
  // `roadrunner up WORKFLOW --traces` to this receiver.
  [[nodiscard]] testing::Outcome up(const std::string& workflow) const {
    return testing::run({RR_CLI, "up", workflow, "--traces", url()},
                        {"RR_CACHE_DIR=" RR_BINARY_DIR "/test-aot-cache"});
  }

 private:
  static std::string text(const json& value) {
    for (const char* kind : {"stringValue", "intValue", "boolValue", "doubleValue"}) {
      if (value.contains(kind)) {
        return value[kind].is_string() ? value[kind].get<std::string>() : value[kind].dump();
      }
    }
    return value.dump();
  }
  void collect(const json& body) {
    if (!body.is_object()) {
      return;
    }
    const std::scoped_lock lock(mutex_);
    for (const auto& rs : body.value("resourceSpans", json::array())) {
      std::string service;
      for (const auto& a : rs["resource"].value("attributes", json::array())) {
        if (a["key"] == "service.name") {
          service = text(a["value"]);
        }
      }
      for (const auto& ss : rs.value("scopeSpans", json::array())) {
        for (const auto& s : ss.value("spans", json::array())) {
          SpanSeen seen{.service = service,
                        .trace = s.value("traceId", ""),
                        .id = s.value("spanId", ""),
                        .parent = s.value("parentSpanId", ""),
                        .name = s.value("name", "")};
          for (const auto& a : s.value("attributes", json::array())) {
            seen.attributes[a["key"].get<std::string>()] = text(a["value"]);
          }
          for (const auto& e : s.value("events", json::array())) {
            seen.events.push_back(e.value("name", ""));
          }
          spans_.push_back(std::move(seen));
        }
      }
    }
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<SpanSeen> spans_;
};

// sender_small (1 KiB: over a kernel edge, the mailbox) and sender_big (100 KB, the stream) send
// twice each to the relay, which forwards each payload to the sink: every edge in `mode`.
std::string relayWorkflow(const std::string& mode = "kernel") {
  const auto sender = [](const char* size) {
    return json{{"wasm", RR_GUEST_SENDER}, {"args", {"relay", size, "2"}}};
  };
  return json{{"functions",
               {{"sender_small", sender("1024")},
                {"sender_big", sender("100000")},
                {"relay", {{"wasm", RR_GUEST_RELAY}, {"env", {{"RELAY_TO", "sink"}}}}},
                {"sink", {{"wasm", RR_GUEST_HASH_RECEIVER}}}}},
              {"edges",
               {{{"from", "sender_small"}, {"to", "relay"}, {"mode", mode}},
                {{"from", "sender_big"}, {"to", "relay"}, {"mode", mode}},
                {{"from", "relay"}, {"to", "sink"}, {"mode", mode}}}}}
      .dump();
}

// Kernel edges (the context in the mailbox and on the stream) and network edges (on TCP).
class TracesAcrossProcessesTest : public ::testing::TestWithParam<std::string> {};

TEST_P(TracesAcrossProcessesTest, AThreeProcessRunIsOneTraceWithEveryLinkIntact) {
  const testing::TempDir dir;
  testing::writeText(dir.file("w.json"), relayWorkflow(GetParam()));
  OtlpReceiver collector;
  const auto run = collector.up(dir.file("w.json"));
  if (run.err.find("no OTLP exporter") != std::string::npos) {
    GTEST_SKIP() << "built without opentelemetry-cpp (scripts/test installs it)";
  }
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<SpanSeen> spans = collector.awaitSpans(19);
  ASSERT_EQ(spans.size(), 19U)
      << "1 run, 2 commands' starts, 4 x (send, relay's handle, relay's send, sink's handle)";
  std::map<std::string, const SpanSeen*> by_id;
  std::set<std::string> traces;
  for (const auto& s : spans) {
    by_id[s.id] = &s;
    traces.insert(s.trace);
  }
  EXPECT_EQ(traces.size(), 1U) << "one workflow run is one trace";
  EXPECT_EQ(by_id.size(), spans.size()) << "span ids are unique";
  const auto parentOf = [&](const SpanSeen& s) -> const SpanSeen* {
    auto it = by_id.find(s.parent);
    return it == by_id.end() ? nullptr : it->second;
  };
  int roots = 0;
  int starts = 0;
  int first_hops = 0;
  int second_hops = 0;
  for (const auto& s : spans) {
    EXPECT_EQ(s.service, "roadrunner");
    if (s.name == "roadrunner.run") {
      ++roots;
      EXPECT_TRUE(s.parent.empty());
      continue;
    }
    const SpanSeen* parent = parentOf(s);
    ASSERT_NE(parent, nullptr) << s.name << " has no parent among the exported spans";
    if (s.name == "roadrunner.start") {
      ++starts;
      EXPECT_EQ(parent->name, "roadrunner.run") << "a command runs in the run's span";
      EXPECT_EQ(s.attributes.at("roadrunner.exit_code"), "0");
    } else if (s.name == "roadrunner.send") {
      EXPECT_EQ(s.attributes.at("roadrunner.mode"), GetParam());
      EXPECT_EQ(s.attributes.at("roadrunner.status"), "ok");
      EXPECT_EQ(s.attributes.at("roadrunner.copies"), "2") << "writev and read, or two memcpys";
      if (s.attributes.at("roadrunner.source") == "relay") {
        ++second_hops;
        EXPECT_EQ(parent->name, "roadrunner.handle") << "a relayed send is its handler's child";
        EXPECT_EQ(parent->attributes.at("roadrunner.function"), "relay");
        EXPECT_EQ(parent->attributes.at("roadrunner.bytes"), s.attributes.at("roadrunner.bytes"));
      } else {
        ++first_hops;
        EXPECT_EQ(parent->name, "roadrunner.start") << "a command's send is its start's child";
        EXPECT_EQ(parent->attributes.at("roadrunner.function"),
                  s.attributes.at("roadrunner.source"));
      }
    } else {
      ASSERT_EQ(s.name, "roadrunner.handle");
      EXPECT_EQ(parent->name, "roadrunner.send") << "a handler run is its send's child";
      EXPECT_EQ(parent->attributes.at("roadrunner.target"), s.attributes.at("roadrunner.function"));
      EXPECT_EQ(parent->attributes.at("roadrunner.bytes"), s.attributes.at("roadrunner.bytes"));
      if (s.attributes.at("roadrunner.function") == "relay") {
        EXPECT_EQ(s.events, std::vector<std::string>{"relayed"}) << "the guest's span event";
      } else {
        EXPECT_TRUE(s.events.empty());
      }
    }
  }
  EXPECT_EQ(roots, 1);
  EXPECT_EQ(starts, 2);
  EXPECT_EQ(first_hops, 4);
  EXPECT_EQ(second_hops, 4);
}

INSTANTIATE_TEST_SUITE_P(Modes, TracesAcrossProcessesTest, ::testing::Values("kernel", "network"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

// A stream is a span at each end: the sender's "roadrunner.stream" from open to close, and each
// receiver's "roadrunner.stream.handle" from its first event to its last, child of the sender's;
// a relay's own stream, opened in its handler, is the child of the stream it relays. 300,000
// bytes in 64 KiB chunks (5 of them) from a command through a relay to a sink, every edge in
// the parameter's mode.
class StreamTracesTest : public ::testing::TestWithParam<std::string> {};

TEST_P(StreamTracesTest, EachEndOfAStreamIsASpanAndARelayedStreamIsItsChild) {
  const testing::TempDir dir;
  testing::writeText(
      dir.file("w.json"),
      json{{"functions",
            {{"sender", {{"wasm", RR_GUEST_STREAM_SENDER}, {"args", {"relay", "300000", "65536"}}}},
             {"relay", {{"wasm", RR_GUEST_STREAM_RELAY}, {"env", {{"RELAY_TO", "sink"}}}}},
             {"sink",
              {{"wasm", RR_GUEST_STREAM_SINK},
               {"env", {{"SINK_XOR", "90"}, {"SINK_EXPECT", "300000"}}}}}}},
           {"edges",
            {{{"from", "sender"}, {"to", "relay"}, {"mode", GetParam()}},
             {{"from", "relay"}, {"to", "sink"}, {"mode", GetParam()}}}}}
          .dump());
  OtlpReceiver collector;
  const auto run = collector.up(dir.file("w.json"));
  if (run.err.find("no OTLP exporter") != std::string::npos) {
    GTEST_SKIP() << "built without opentelemetry-cpp (scripts/test installs it)";
  }
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<SpanSeen> spans = collector.awaitSpans(6);
  ASSERT_EQ(spans.size(), 6U) << "run, start, and two streams with a span at each end";
  std::map<std::string, const SpanSeen*> by_id;
  std::map<std::string, const SpanSeen*> by_role;  // "stream:<source>", "handle:<function>"
  for (const auto& s : spans) {
    by_id[s.id] = &s;
    if (s.name == "roadrunner.stream") {
      by_role["stream:" + s.attributes.at("roadrunner.source")] = &s;
    } else if (s.name == "roadrunner.stream.handle") {
      by_role["handle:" + s.attributes.at("roadrunner.function")] = &s;
    }
  }
  ASSERT_EQ(by_role.size(), 4U);
  // The parent's name and whose it is (its function, or for a sender's span its source).
  const auto parentOf = [&](const std::string& role) -> std::string {
    auto it = by_id.find(by_role.at(role)->parent);
    if (it == by_id.end()) {
      return "";
    }
    const auto& a = it->second->attributes;
    const auto who =
        a.contains("roadrunner.function") ? a.at("roadrunner.function") : a.at("roadrunner.source");
    return it->second->name + ":" + who;
  };
  EXPECT_EQ(parentOf("stream:sender"), "roadrunner.start:sender");
  EXPECT_EQ(parentOf("handle:relay"), "roadrunner.stream:sender");
  EXPECT_EQ(parentOf("stream:relay"), "roadrunner.stream.handle:relay");
  EXPECT_EQ(parentOf("handle:sink"), "roadrunner.stream:relay");
  for (const auto& [role, span] : by_role) {
    EXPECT_EQ(span->attributes.at("roadrunner.bytes"), "300000") << role;
    EXPECT_EQ(span->attributes.at("roadrunner.chunks"), "5") << role;
    EXPECT_EQ(span->attributes.at("roadrunner.status"), "ok") << role;
  }
  EXPECT_EQ(by_role.at("stream:sender")->attributes.at("roadrunner.target"), "relay");
  EXPECT_EQ(by_role.at("stream:relay")->attributes.at("roadrunner.mode"), GetParam());
  EXPECT_EQ(by_role.at("handle:sink")->attributes.at("roadrunner.source"), "relay");
}

// An aborted stream fails both ends' spans with the guest's code (stream_sender's "abort" mode
// aborts with 77 halfway).
TEST_P(StreamTracesTest, AnAbortedStreamFailsBothEndsWithItsCode) {
  const testing::TempDir dir;
  testing::writeText(
      dir.file("w.json"),
      json{{"functions",
            {{"sender",
              {{"wasm", RR_GUEST_STREAM_SENDER}, {"args", {"sink", "300000", "65536", "abort"}}}},
             {"sink", {{"wasm", RR_GUEST_STREAM_SINK}}}}},
           {"edges", {{{"from", "sender"}, {"to", "sink"}, {"mode", GetParam()}}}}}
          .dump());
  OtlpReceiver collector;
  const auto run = collector.up(dir.file("w.json"));
  if (run.err.find("no OTLP exporter") != std::string::npos) {
    GTEST_SKIP() << "built without opentelemetry-cpp (scripts/test installs it)";
  }
  const std::vector<SpanSeen> spans = collector.awaitSpans(4);
  int ends = 0;
  for (const auto& s : spans) {
    if (s.name == "roadrunner.stream" || s.name == "roadrunner.stream.handle") {
      ++ends;
      EXPECT_EQ(s.attributes.at("roadrunner.abort_status"), "77") << s.name;
      EXPECT_EQ(s.attributes.at("roadrunner.chunks"), "3") << s.name << ": 196,608 of 300,000";
    }
  }
  EXPECT_EQ(ends, 2);
}

INSTANTIATE_TEST_SUITE_P(Modes, StreamTracesTest,
                         ::testing::Values("embedded", "kernel", "network"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

// Span events from every SDK: the C relay above, and here the Rust and Go hash receivers (each
// records "hashed" in its handler run's span), embedded.
TEST(TracesTest, RustAndGoReceiversRecordSpanEventsInTheirHandlerRuns) {
  const testing::TempDir dir;
  const auto sender = [](const char* to) {
    return json{{"wasm", RR_GUEST_SENDER}, {"args", {to, "4096", "3"}}};
  };
  testing::writeText(dir.file("w.json"),
                     json{{"functions",
                           {{"to_rust", sender("rust")},
                            {"to_go", sender("go")},
                            {"rust", {{"wasm", RR_GUEST_RUST_HASH_RECEIVER}}},
                            {"go", {{"wasm", RR_GUEST_GO_HASH_RECEIVER}}}}},
                          {"edges",
                           {{{"from", "to_rust"}, {"to", "rust"}, {"mode", "embedded"}},
                            {{"from", "to_go"}, {"to", "go"}, {"mode", "embedded"}}}}}
                         .dump());
  OtlpReceiver collector;
  const auto run = collector.up(dir.file("w.json"));
  if (run.err.find("no OTLP exporter") != std::string::npos) {
    GTEST_SKIP() << "built without opentelemetry-cpp (scripts/test installs it)";
  }
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::map<std::string, int> hashed;  // handler runs with the event, per function
  for (const auto& s : collector.spans()) {
    if (s.name == "roadrunner.handle") {
      EXPECT_EQ(s.events, std::vector<std::string>{"hashed"})
          << s.attributes.at("roadrunner.function");
      hashed[s.attributes.at("roadrunner.function")] += s.events.size() == 1 ? 1 : 0;
    }
  }
  EXPECT_EQ(hashed["rust"], 3);
  EXPECT_EQ(hashed["go"], 3);
}

TEST(TracesTest, ACollectorThatIsDownCostsSpansNotTheRun) {
  const testing::TempDir dir;
  testing::writeText(dir.file("w.json"), relayWorkflow());
  int port = 0;
  {
    const OtlpReceiver gone;  // a port that was free, now closed again
    port = std::stoi(gone.url().substr(gone.url().rfind(':') + 1));
  }
  const auto start = std::chrono::steady_clock::now();
  const auto run = testing::run(
      {RR_CLI, "up", dir.file("w.json"), "--traces", "http://127.0.0.1:" + std::to_string(port)},
      {"RR_CACHE_DIR=" RR_BINARY_DIR "/test-aot-cache"});
  if (run.err.find("no OTLP exporter") != std::string::npos) {
    GTEST_SKIP() << "built without opentelemetry-cpp";
  }
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST(TracesTest, ATracesAddressThatIsNotHttpHostPortIsRefused) {
  const testing::TempDir dir;
  testing::writeText(dir.file("w.json"), relayWorkflow());
  for (const char* bad : {"127.0.0.1:4318", "https://x:1", "http://a b:1", "http://host"}) {
    const auto run = testing::run({RR_CLI, "up", dir.file("w.json"), "--traces", bad});
    EXPECT_NE(run.exit_code, 0) << bad;
    EXPECT_NE(run.err.find("traces"), std::string::npos) << run.err;
  }
}

}  // namespace
}  // namespace rr
