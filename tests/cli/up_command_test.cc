// `roadrunner up` end to end: the real binary, a workflow file, real guests.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "roadrunner/sys/subprocess.h"

#include "../testing/subprocess.h"

namespace rr {
namespace {

class UpCommandTest : public ::testing::Test {
 protected:
  testing::Outcome up(const std::string& json, std::vector<std::string> flags = {}) {
    testing::writeText(dir_.file("flow.json"), json);
    std::vector<std::string> args = {RR_CLI, "up", dir_.file("flow.json")};
    args.insert(args.end(), flags.begin(), flags.end());
    return testing::run(args, {"RR_CACHE_DIR=" + std::string(RR_BINARY_DIR) + "/test-aot-cache"});
  }
  testing::TempDir dir_;
};

TEST_F(UpCommandTest, RunsTheTextPipelineWithPrefixedOutput) {
  testing::writeText(dir_.file("in.txt"), "one two three\nfour\n");
  const std::string guests = std::string(RR_BINARY_DIR) + "/guests/";
  const testing::Outcome o = up(R"({"functions": {
      "producer": {"wasm": ")" + guests +
                                    R"(text_producer.wasm", "args": ["/d/in.txt"],
                   "dirs": ["/d:."]},
      "counter": {"wasm": ")" + guests +
                                    R"(text_counter.wasm"}},
    "edges": [{"from": "producer", "to": "counter", "mode": "embedded"}]})",
                                {"--stats"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("producer | sent 19 bytes of /d/in.txt; counter says: 4 words"),
            std::string::npos)
      << o.out;
  EXPECT_NE(o.err.find("counter | counted 4 words in 19 bytes from producer"), std::string::npos)
      << o.err;
  EXPECT_NE(o.err.find("copies"), std::string::npos) << "--stats prints the table";
}

// A receiver that fails a delivery makes up exit 1, and up says which and why; --stats-every
// prints the table while the run lasts.
TEST_F(UpCommandTest, ANonZeroExitNamesTheFunctionAndTheCause) {
  const testing::Outcome o = up(R"({"functions": {
      "sender": {"wasm": ")" RR_GUEST_ATTACK_SENDER R"(",
                 "args": ["victim", "trap=6", "ok=0", "sleep=12", "ok=0"]},
      "victim": {"wasm": ")" RR_GUEST_ATTACK_RECEIVER R"(", "timeout_ms": 200}},
    "edges": [{"from": "sender", "to": "victim"}]})",
                                {"--stats-every", "10"});
  EXPECT_EQ(o.exit_code, 1) << o.err;
  EXPECT_NE(o.err.find("roadrunner: up exits 1: receiver 'victim': 2 deliveries failed"),
            std::string::npos)
      << o.err;
  EXPECT_NE(o.err.find("roadrunner: after "), std::string::npos) << o.err;
}

// A served group's members send as NAME#K, as in embedded mode: the receiver sees who sent.
TEST_F(UpCommandTest, ServedGroupMembersSendUnderTheirInstanceNames) {
  const std::string guests = std::string(RR_BINARY_DIR) + "/guests/";
  for (const std::string mode : {"embedded", "kernel", "network"}) {
    const testing::Outcome o = up(R"({"functions": {
        "source": {"wasm": ")" + guests +
                                  R"(fan_source.wasm", "args": ["1000"]},
        "worker": {"wasm": ")" + guests +
                                  R"(fan_worker.wasm", "instances": 2},
        "sink": {"wasm": ")" + std::string(RR_BINARY_DIR) +
                                  R"(/examples/fanin/ledger.wasm"}},
      "edges": [{"from": "source", "to": "worker", "mode": ")" +
                                  mode + R"("},
                {"from": "worker", "to": "sink", "mode": ")" +
                                  mode + R"("},
                {"from": "source", "to": "sink", "mode": ")" +
                                  mode + R"("}]})");
    EXPECT_EQ(o.exit_code, 0) << mode << "\n" << o.err;
    EXPECT_NE(o.out.find("from worker#0:"), std::string::npos) << mode << "\n" << o.out;
    EXPECT_NE(o.out.find("from worker#1:"), std::string::npos) << mode << "\n" << o.out;
  }
}

// The pids of the `roadrunner serve` processes that `parent` started (their --parent flag).
std::vector<pid_t> servedBy(pid_t parent) {
  std::vector<pid_t> pids;
  const std::string flag = std::string("--parent") + '\0' + std::to_string(parent) + '\0';
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    const std::string cmdline((std::istreambuf_iterator<char>(in)), {});
    if (cmdline.find(flag) != std::string::npos && cmdline.find("serve") != std::string::npos) {
      pids.push_back(std::stoi(name));
    }
  }
  return pids;
}

// Whether process `pid` is gone: no such process, or a zombie left to a parent of last resort
// that may never reap it.
bool gone(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field;
  std::string comm;
  std::string state;
  return !(in >> pid_field >> comm >> state) || state == "Z";
}

// The directory of the --listen unix:PATH of process `pid`.
std::string listenDir(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string arg;
  bool next = false;
  while (std::getline(in, arg, '\0')) {
    if (next && arg.starts_with("unix:")) {
      return std::filesystem::path(arg.substr(5)).parent_path().string();
    }
    next = arg == "--listen";
  }
  return {};
}

// `up` ended by a signal while a kernel edge's receiver sleeps in its handler for a minute:
// nothing of its run may stay behind, neither the serving process nor its socket directory.
// SIGKILL leaves the directory (nothing runs to remove it); SIGINT and SIGTERM remove it and exit
// with 128 + the signal.
class UpSignalTest : public ::testing::TestWithParam<int> {
 protected:
  testing::TempDir dir_;
};

TEST_P(UpSignalTest, ServingProcessesEndWithTheirUp) {
  const int signal = GetParam();
  testing::writeText(dir_.file("flow.json"), R"({"functions": {
      "sender": {"wasm": ")" + std::string(RR_GUEST_SENDER) +
                                                 R"(", "args": ["sink", "100"]},
      "sink": {"wasm": ")" + std::string(RR_GUEST_SLOW_RECEIVER) +
                                                 R"(", "env": {"SLOW_MS": "60000"}}},
    "edges": [{"from": "sender", "to": "sink", "mode": "kernel"}]})");
  auto up = sys::Subprocess::spawn(
      {.argv = {RR_CLI, "up", dir_.file("flow.json")},
       .env = {"RR_CACHE_DIR=" + std::string(RR_BINARY_DIR) + "/test-aot-cache",
               "PATH=/usr/bin:/bin"}});
  ASSERT_TRUE(up.has_value()) << up.error().message();
  std::vector<pid_t> served;
  for (int i = 0; i < 300 && served.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    served = servedBy(up->pid());
  }
  ASSERT_EQ(served.size(), 1U) << "the sink's serving process";
  const std::string run_dir = listenDir(served[0]);
  ASSERT_TRUE(run_dir.starts_with("/tmp/roadrunner-")) << run_dir;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the send reaches the handler
  ASSERT_TRUE(up->signal(signal));
  auto status = up->waitFor(std::chrono::seconds(20));
  ASSERT_TRUE(status.has_value()) << "up still runs 20 s after the signal";
  EXPECT_EQ(*status, 128 + signal);
  const auto gone_by = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!gone(served[0]) && std::chrono::steady_clock::now() < gone_by) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(gone(served[0])) << "serving process " << served[0] << " outlived its up";
  if (signal == SIGKILL) {
    std::error_code ec;
    std::filesystem::remove_all(run_dir, ec);
  } else {
    EXPECT_FALSE(std::filesystem::exists(run_dir)) << run_dir << " stayed behind";
  }
}

INSTANTIATE_TEST_SUITE_P(Signals, UpSignalTest, ::testing::Values(SIGKILL, SIGTERM, SIGINT),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return std::string(p.param == SIGKILL   ? "Sigkill"
                                              : p.param == SIGTERM ? "Sigterm"
                                                                   : "Sigint");
                         });

TEST_F(UpCommandTest, ExitsWithTheFailingFunctionsStatus) {
  const testing::Outcome o =
      up(R"({"functions": {"p": {"wasm": ")" RR_GUEST_WASI_PROBE R"(", "args": ["7"]}}})");
  EXPECT_EQ(o.exit_code, 7) << o.err;
  EXPECT_NE(o.out.find("p | argv[1]=7"), std::string::npos) << o.out;
}

TEST_F(UpCommandTest, CycleIsOneClearError) {
  const testing::Outcome o = up(R"({"functions": {"a": {"wasm": "a.wasm"}, "b": {"wasm": "b.wasm"}},
      "edges": [{"from": "a", "to": "b"}, {"from": "b", "to": "a"}]})");
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
  EXPECT_NE(o.err.find("cycle"), std::string::npos) << o.err;
}

TEST_F(UpCommandTest, MissingFunctionFileIsOneClearError) {
  const testing::Outcome o = up(R"({"functions": {"a": {"wasm": "missing.wasm"}}})");
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find(dir_.file("missing.wasm") + ": No such file"), std::string::npos) << o.err;
}

}  // namespace
}  // namespace rr

namespace rr {
namespace {

TEST(BenchCommandTest, SmallRunWritesVerifiedJsonAndCsv) {
  const testing::TempDir dir;
  const testing::Outcome o =
      testing::run({RR_CLI, "bench", "--sizes", "64K", "--runs", "2", "--json", dir.file("b.json")},
                   {"RR_CACHE_DIR=" + std::string(RR_BINARY_DIR) + "/test-aot-cache"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  const std::string json = testing::slurp(dir.file("b.json"));
  EXPECT_NE(json.find("\"verified\": true"), std::string::npos) << json;
  EXPECT_NE(json.find("\"memcpy_warm\""), std::string::npos) << json;
  EXPECT_NE(testing::slurp(dir.file("b.csv")).find("embedded,chain,65536"), std::string::npos);
}

TEST(BenchCommandTest, UnavailableSystemIsAClearError) {
  const testing::Outcome o = testing::run({RR_CLI, "bench", "--modes", "carrier", "--sizes", "1K"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("system 'carrier' is not available"), std::string::npos) << o.err;
}

}  // namespace
}  // namespace rr

namespace rr {
namespace {

TEST(DemoCommandTest, RunsTheImageTextAndStreamPipelines) {
  const testing::Outcome o =
      testing::run({RR_CLI, "demo", "--mib=1"},
                   {"RR_CACHE_DIR=" + std::string(RR_BINARY_DIR) + "/test-aot-cache"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("pipeline says: 1500x1000 grayscale PNG"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("counter says: 119840 words"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("one host copy"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("4 MiB streamed in"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("the digest matches"), std::string::npos) << o.out;
  EXPECT_FALSE(std::filesystem::exists(std::string(RR_BINARY_DIR) + "/demo/stream.txt"));
  // The picture stays where the demo says, a 1500 x 1000 PNG; the generated inputs do not.
  const std::string picture = std::string(RR_BINARY_DIR) + "/demo/card-gray.png";
  EXPECT_NE(o.out.find(picture), std::string::npos) << o.out;
  const std::string png = testing::slurp(picture);
  ASSERT_GE(png.size(), 24U) << picture;
  EXPECT_EQ(png.substr(1, 3), "PNG");
  const auto be32 = [&png](std::size_t at) {
    return (std::uint32_t{static_cast<unsigned char>(png[at])} << 24U) |
           (std::uint32_t{static_cast<unsigned char>(png[at + 1])} << 16U) |
           (std::uint32_t{static_cast<unsigned char>(png[at + 2])} << 8U) |
           std::uint32_t{static_cast<unsigned char>(png[at + 3])};
  };
  EXPECT_EQ(be32(16), 1500U);  // IHDR width
  EXPECT_EQ(be32(20), 1000U);  // IHDR height
  EXPECT_FALSE(std::filesystem::exists(std::string(RR_BINARY_DIR) + "/demo/card.ppm"));
}

}  // namespace
}  // namespace rr

namespace rr {
namespace {

TEST(BenchCommandTest, BaselinesRunForRealAndAreVerified) {
  const testing::TempDir dir;
  const testing::Outcome o =
      testing::run({RR_CLI, "bench", "--modes", "embedded,native-http,redis", "--sizes", "64K",
                    "--runs", "2", "--json", dir.file("b.json")},
                   {"RR_CACHE_DIR=" + std::string(RR_BINARY_DIR) + "/test-aot-cache"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const std::string json = testing::slurp(dir.file("b.json"));
  EXPECT_NE(json.find("\"system\": \"native-http\""), std::string::npos);
  EXPECT_NE(json.find("\"system\": \"redis\""), std::string::npos);
  EXPECT_EQ(json.find("\"verified\": false"), std::string::npos) << json;
  EXPECT_NE(json.find("\"speedup\""), std::string::npos);
}

// Two Wasm functions on one WasmEdge, JSON + base64 over HTTP/1.1 through WASI sockets: the
// chain and a fan-out to three concurrent consumers, each checked against the recipe's hash.
TEST(BenchCommandTest, WasmedgeHttpRunsForRealAndIsVerified) {
  const testing::TempDir dir;
  const testing::Outcome o = testing::run(
      {RR_CLI, "bench", "--modes", "embedded,wasmedge-http", "--sizes", "64K,1M", "--fanout", "1,3",
       "--fanout-size", "256K", "--runs", "2", "--json", dir.file("b.json")},
      {"RR_CACHE_DIR=" + std::string(RR_BINARY_DIR) + "/test-aot-cache"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const auto doc = nlohmann::json::parse(testing::slurp(dir.file("b.json")), nullptr, false);
  ASSERT_TRUE(doc.is_object());
  int chains = 0;
  int fanouts = 0;
  for (const auto& r : doc["results"]) {
    if (r["system"] != "wasmedge-http") {
      continue;
    }
    EXPECT_TRUE(r["verified"].get<bool>()) << r.dump();
    EXPECT_EQ(r["runs"], 2) << r.dump();
    EXPECT_GT(r["latency_s"]["median"].get<double>(), 0.0) << r.dump();
    EXPECT_GT(r["serialization_s"].get<double>(), 0.0) << r.dump();
    (r["workload"] == "chain" ? chains : fanouts) += 1;
  }
  EXPECT_EQ(chains, 2);
  EXPECT_EQ(fanouts, 2);
  int speedups = 0;
  int throughput_speedups = 0;
  for (const auto& r : doc["ratios"]) {
    if (r.value("baseline", "") == "wasmedge-http") {
      speedups += r.contains("speedup") ? 1 : 0;
      throughput_speedups += r.contains("throughput_speedup") ? 1 : 0;
    }
  }
  EXPECT_EQ(speedups, 2);
  EXPECT_EQ(throughput_speedups, 2);
}

TEST(BenchCommandTest, WasmedgeHttpRefusesPayloadsThatCannotParseInWasm32) {
  const testing::Outcome o =
      testing::run({RR_CLI, "bench", "--modes", "embedded,wasmedge-http", "--sizes", "1K,800M"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("800 MiB payload needs about"), std::string::npos) << o.err;
  EXPECT_EQ(o.out.find("embedded"), std::string::npos) << "refused before running: " << o.out;
}

}  // namespace
}  // namespace rr
