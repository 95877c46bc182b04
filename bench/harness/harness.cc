#include "harness.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "roadrunner/base/try.h"
#include "roadrunner/runtime/runner.h"
#include "roadrunner/sys/mapping.h"
#include "roadrunner/sys/pipe.h"
#include "roadrunner/sys/socket.h"
#include "roadrunner/sys/tcp.h"
#include "roadrunner/wasm/engine.h"

#include "../baselines/baselines.h"
#include "../baselines/peers.h"
#include "../baselines/wasmedge_http.h"
#include "limits.h"
#include "measure.h"
#include "test_link.h"

namespace rr::bench {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string sizeName(std::uint64_t bytes) {
  if (bytes % (1ULL << 20) == 0) {
    return std::to_string(bytes >> 20) + " MiB";
  }
  if (bytes % 1024 == 0) {
    return std::to_string(bytes >> 10) + " KiB";
  }
  return std::to_string(bytes) + " B";
}

std::vector<std::string> servePrefix(const Options& o) {
  if (o.serve_netns.empty()) {
    return {};
  }
  return {"ip", "netns", "exec", o.serve_netns};
}

// How `system` connects sender and receiver, and the run options that go with it.
runtime::EdgeMode modeOf(const std::string& system) {
  return system.starts_with("embedded") ? runtime::EdgeMode::kEmbedded
         : system == "network"          ? runtime::EdgeMode::kNetwork
                                        : runtime::EdgeMode::kKernel;
}

// Every system the bench knows, Roadrunner's modes first.
constexpr std::array kRoadrunnerSystems = {"embedded",    "embedded-move", "embedded-shared",
                                           "kernel",      "kernel-memfd",  "kernel-memfd-copy",
                                           "kernel-move", "kernel-shared", "network"};

// The systems whose payload sits in a shared buffer (rr_shared_buffer) or a move buffer: the
// C guests' senders only.
bool sendsFromSpecialBuffers(const std::string& system) {
  return system == "embedded-move" || system == "embedded-shared" || system == "kernel-move" ||
         system == "kernel-shared";
}

// A move hands the payload to one receiver: no fan-out.
bool movesPayload(const std::string& system) { return system.ends_with("-move"); }
constexpr std::array kBaselines = {"wasmedge-http-raw",
                                   "native-http-raw",
                                   "wasmedge-http",
                                   "native-http",
                                   "redis",
                                   "iceoryx",
                                   "nats",
                                   "grpc"};

// The baselines: programs outside Roadrunner that move the same payload the way functions do
// today.
bool isBaseline(const std::string& system) {
  return std::ranges::find(kBaselines, system) != kBaselines.end();
}

bool isKnown(const std::string& system) {
  return isBaseline(system) ||
         std::ranges::find(kRoadrunnerSystems, system) != kRoadrunnerSystems.end();
}

bool isWasmedgeHttp(const std::string& system) { return system.starts_with("wasmedge-http"); }

// The limit that does a system's work: the same mechanism with nothing on top.
std::string limitOf(const std::string& system) {
  if (system.starts_with("embedded")) {
    return "memcpy_warm";
  }
  if (system == "kernel" || system == "kernel-move" || system == "kernel-shared") {
    return "unix";  // the zero-copy paths against what a socket does with one copy each way
  }
  if (system.starts_with("kernel-memfd") || system == "iceoryx") {
    return "memfd";
  }
  return "tcp";  // network, and every baseline but iceoryx: loopback TCP
}

// Where baseline consumers run: the test host's namespace and address, if there is one.
Placement placementOf(const Options& o) {
  if (o.serve_netns.empty()) {
    return {};
  }
  return {.host = o.network_host, .netns = o.serve_netns};
}

WasmedgeHttpOptions httpOptions(const Options& o, const std::string& system, std::uint64_t size,
                                std::uint32_t consumers, bool fanout) {
  return {.guest_dir = o.guest_dir,
          .size = size,
          .consumers = consumers,
          .runs = o.runs,
          .fanout = fanout,
          .raw = system.ends_with("-raw"),
          .corrupt = std::getenv("RR_BENCH_CORRUPT_FOR_TEST") != nullptr,
          .at = placementOf(o)};
}

runtime::RunOptions runOptionsFor(const Options& o, const std::string& system) {
  return {.prefix_output = false,
          .record_latencies = true,
          .roadrunner_exe = o.roadrunner_exe,
          .memfd_threshold = system.starts_with("kernel-") ? 0 : UINT64_MAX,
          .memfd_map = system != "kernel-memfd-copy",
          .splice_threshold = o.splice_threshold,
          .network_host = o.network_host,
          .serve_prefix = servePrefix(o),
          .traces = o.traces};
}

// The payload copies the hosts made per send, observed (copied bytes over payload bytes; a
// fan-out send counts every member's copy).
double copiesPerSend(const runtime::InstanceReport& sender, std::uint64_t size) {
  if (sender.sends == 0 || size == 0) {
    return 0;
  }
  return static_cast<double>(sender.copied_bytes) / static_cast<double>(sender.sends) /
         static_cast<double>(size);
}

// A workflow run with the CPU time it took (this process and reaped serving processes) and the
// peak RSS (ours since the run began, plus the largest child's).
struct MeasuredRun {
  runtime::RunReport report;
  double cpu_user_s = 0;
  double cpu_sys_s = 0;
  std::uint64_t peak_rss_bytes = 0;
};

Result<MeasuredRun> measuredRun(const runtime::Workflow& w, const runtime::RunOptions& options,
                                bool with_children) {
  rusage self0{};
  rusage children0{};
  ::getrusage(RUSAGE_SELF, &self0);
  ::getrusage(RUSAGE_CHILDREN, &children0);
  resetPeakRss();
  RR_ASSIGN_OR_RETURN(runtime::RunReport report, runtime::runWorkflow(w, options));
  rusage self1{};
  rusage children1{};
  ::getrusage(RUSAGE_SELF, &self1);
  ::getrusage(RUSAGE_CHILDREN, &children1);
  const auto delta = [](const timeval& a, const timeval& b) {
    return cpuSeconds(b) - cpuSeconds(a);
  };
  // This process's own peak, plus each serving process's own (wait4 per child), never
  // RUSAGE_CHILDREN's ru_maxrss: that is the largest child this process ever reaped.
  const std::uint64_t peak = peakRss() + (with_children ? report.served_peak_rss_bytes : 0);
  return MeasuredRun{.report = std::move(report),
                     .cpu_user_s = delta(self0.ru_utime, self1.ru_utime) +
                                   delta(children0.ru_utime, children1.ru_utime),
                     .cpu_sys_s = delta(self0.ru_stime, self1.ru_stime) +
                                  delta(children0.ru_stime, children1.ru_stime),
                     .peak_rss_bytes = peak};
}

// The median of a run's samples after the cold round.
double steadyMedian(std::vector<double> samples) {
  if (!samples.empty()) {
    samples.erase(samples.begin());
  }
  return summarize(std::move(samples)).median;
}

// bench_sender's arguments: embedded-move hands each round's payload over (rr_send_move),
// embedded-shared and kernel-shared send from a shared buffer (rr_shared_buffer), whose pages
// receivers map, and kernel-move moves from one (its memfd passes to the receiving process).
std::vector<std::string> senderArgs(const std::string& system, std::uint64_t size, int rounds) {
  std::vector<std::string> args{"receiver", std::to_string(size), std::to_string(rounds)};
  if (system == "embedded-move") {
    args.emplace_back("move");
  } else if (system == "embedded-shared" || system == "kernel-shared") {
    args.emplace_back("shared");
  } else if (system == "kernel-move") {
    args.emplace_back("shared-move");
  }
  return args;
}

// One system's chain run: bench_sender sends the payload runs + 1 times to bench_receiver,
// which with `in_place` also writes its whole buffer after checking it.
Result<json> runChain(const Options& o, const std::string& system, std::uint64_t size,
                      bool in_place) {
  const std::string prefix = o.guests == "rust" ? "/rust_" : "/";
  runtime::FunctionSpec receiver{.name = "receiver",
                                 .wasm = o.guest_dir + prefix + "bench_receiver.wasm"};
  if (in_place) {
    receiver.env.emplace_back("BENCH_IN_PLACE=1");
  }
  const runtime::Workflow w{
      .name = "bench-" + system,
      .functions = {{.name = "sender",
                     .wasm = o.guest_dir + prefix + "bench_sender.wasm",
                     .args = senderArgs(system, size, o.runs + 1)},
                    std::move(receiver)},
      .edges = {{.from = "sender", .to = "receiver", .mode = modeOf(system)}}};
  RR_ASSIGN_OR_RETURN(const MeasuredRun run,
                      measuredRun(w, runOptionsFor(o, system), !system.starts_with("embedded")));
  const runtime::RunReport& report = run.report;
  const runtime::InstanceReport* sender = nullptr;
  const runtime::InstanceReport* recv = nullptr;
  for (const auto& r : report.instances) {
    (r.receiver ? recv : sender) = &r;
  }
  if (sender == nullptr || recv == nullptr) {
    return fail(Errc::kInvalidArgument, "bench", system + " run lost an instance");
  }
  Windows windows{.to_handler = recv->latencies};
  std::vector<double> faults;
  for (const auto& t : sender->send_timings) {
    windows.consumed.push_back(t.consumed_s);
    windows.round.push_back(t.round_s);
    faults.push_back(t.faults);
  }
  const auto rounds = static_cast<std::size_t>(o.runs) + 1;
  json row{
      {"system", system},
      {"workload", in_place ? "in-place" : "chain"},
      {"guests", o.guests},
      {"payload_bytes", size},
      {"fanout", 1},
      {"serialization_s", 0.0},
      {"cpu_user_s", run.cpu_user_s},
      {"cpu_sys_s", run.cpu_sys_s},
      {"peak_rss_bytes", run.peak_rss_bytes},
      {"copies", copiesPerSend(*sender, size)},
      {"copied_bytes", sender->sends > 0 ? sender->copied_bytes / sender->sends : 0},
      {"moved_bytes", sender->sends > 0 ? sender->moved_bytes / sender->sends : 0},
      {"mapped_bytes", sender->sends > 0 ? sender->mapped_bytes / sender->sends : 0},
      {"verified", report.exit_code == 0 && sender->exit_code == 0 &&
                       windows.to_handler.size() == rounds && windows.consumed.size() == rounds}};
  addWindows(row, windows);
  row["page_faults"] = steadyMedian(faults);
  const double median = row["consumed_s"]["median"].get<double>();
  row["throughput_MBps"] = median > 0 ? static_cast<double>(size) / median / 1e6 : 0.0;
  return row;
}

// Fan-out: bench_fan_sender sends the payload runs + 1 times to a group of `n` receivers; every
// send reaches all of them concurrently. A round's windows end at the last member: its handler
// entry (to_handler), its handler's return (consumed), and the send's return (round).
Result<json> runFanout(const Options& o, const std::string& system, std::uint64_t size,
                       std::uint32_t n) {
  const runtime::Workflow w{
      .name = "bench-fanout-" + system,
      .functions = {{.name = "sender",
                     .wasm = o.guest_dir + "/bench_fan_sender.wasm",
                     .args = {std::to_string(size), std::to_string(o.runs + 1),
                              system.ends_with("-shared") ? "shared" : "copy"}},
                    {.name = "receiver",
                     .wasm = o.guest_dir + "/bench_receiver.wasm",
                     .env = o.fanout_stamps
                                ? std::vector<std::string>{"BENCH_NO_REPLY=1", "BENCH_STAMPS=1"}
                                : std::vector<std::string>{"BENCH_NO_REPLY=1"},
                     .instances = n}},
      .edges = {{.from = "sender", .to = "receiver", .mode = modeOf(system)}}};
  RR_ASSIGN_OR_RETURN(const MeasuredRun run,
                      measuredRun(w, runOptionsFor(o, system), !system.starts_with("embedded")));
  const runtime::RunReport& report = run.report;
  const auto rounds = static_cast<std::size_t>(o.runs) + 1;
  Windows windows{.to_handler = std::vector<double>(rounds, 0.0)};
  std::vector<double> faults;
  std::size_t receivers = 0;
  bool complete = true;
  const runtime::InstanceReport* sender = nullptr;
  for (const auto& r : report.instances) {
    if (!r.receiver) {
      sender = &r;
      continue;
    }
    ++receivers;
    complete = complete && r.latencies.size() == rounds;
    for (std::size_t i = 0; i < rounds && i < r.latencies.size(); ++i) {
      windows.to_handler[i] = std::max(windows.to_handler[i], r.latencies[i]);
    }
  }
  if (sender != nullptr) {
    for (const auto& t : sender->send_timings) {
      windows.consumed.push_back(t.consumed_s);
      windows.round.push_back(t.round_s);
      faults.push_back(t.faults);
    }
  }
  json row{{"system", system},
           {"workload", "fanout"},
           {"payload_bytes", size},
           {"fanout", n},
           {"receiver_reads", o.fanout_stamps ? "stamps" : "every byte"},
           {"serialization_s", 0.0},
           {"cpu_user_s", run.cpu_user_s},
           {"cpu_sys_s", run.cpu_sys_s},
           {"peak_rss_bytes", run.peak_rss_bytes},
           {"copies", sender != nullptr ? copiesPerSend(*sender, size) : 0.0},
           {"copied_bytes",
            sender != nullptr && sender->sends > 0 ? sender->copied_bytes / sender->sends : 0},
           {"mapped_bytes",
            sender != nullptr && sender->sends > 0 ? sender->mapped_bytes / sender->sends : 0},
           // Every member checked every round's payload (bench_receiver); a damaged one fails the
           // send, and so the sender.
           {"verified", report.exit_code == 0 && sender != nullptr && sender->exit_code == 0 &&
                            receivers == n && complete && windows.consumed.size() == rounds}};
  addWindows(row, windows);
  row["page_faults"] = steadyMedian(faults);
  const double median = row["consumed_s"]["median"].get<double>();
  row["throughput_MBps"] = median > 0 ? static_cast<double>(size) * n / median / 1e6 : 0.0;
  return row;
}

// A limit measured in two halves, before and after the systems it is read against; the
// halves tell whether the machine itself changed meanwhile.
struct MeasuredLimit {
  LimitSamples before, after;

  [[nodiscard]] std::vector<double> all(std::vector<double> LimitSamples::* window) const {
    std::vector<double> out = before.*window;
    out.insert(out.end(), (after.*window).begin(), (after.*window).end());
    return out;
  }
  /// The consumed window's halves differ by more than 25 % and their interquartile ranges do
  /// not overlap.
  [[nodiscard]] bool moved() const {
    const Stats b = summarize(before.consumed);
    const Stats a = summarize(after.consumed);
    const double lo = std::min(a.median, b.median);
    const double hi = std::max(a.median, b.median);
    return lo > 0 && hi / lo > 1.25 && (b.q3 < a.q1 || a.q3 < b.q1);
  }
};

LimitSamples measureLimit(const Options& o, const std::string& name, std::uint64_t size, int runs) {
  if (name == "memcpy_warm") {
    return memcpyLimit(size, runs);
  }
  if (name == "unix") {
    return unixLimit(size, runs);
  }
  if (name == "memfd") {
    return memfdLimit(size, runs);
  }
  return tcpLimit(size, runs, o.network_host, o.serve_netns);
}

// The bench JSON's entries for one limit of one size: one per window.
void recordLimit(json& doc, const std::string& name, std::uint64_t size, const MeasuredLimit& m) {
  const std::array<std::pair<const char*, std::vector<double> LimitSamples::*>, 3> windows = {
      std::pair{"landed", &LimitSamples::landed}, std::pair{"consumed", &LimitSamples::consumed},
      std::pair{"in_place", &LimitSamples::in_place}};
  for (const auto& [window, member] : windows) {
    const std::vector<double> samples = m.all(member);
    const Stats s = summarize(samples);
    json entry{
        {"name", name}, {"window", window}, {"payload_bytes", size},    {"seconds", s.median},
        {"q1", s.q1},   {"q3", s.q3},       {"samples", samples.size()}};
    if (std::string_view(window) == "consumed") {
      entry["before_s"] = summarize(m.before.consumed).median;
      entry["after_s"] = summarize(m.after.consumed).median;
      entry["moved"] = m.moved();
    }
    doc["limits"].push_back(std::move(entry));
  }
}

// The checkout's commit: RR_COMMIT (bin/roadrunner sets it from the host's git, with "-dirty"
// for uncommitted changes), else git where the binary runs, else "unknown".
std::string commitId() {
  if (const char* set = std::getenv("RR_COMMIT"); set != nullptr && *set != '\0') {
    return set;
  }
  std::FILE* p = ::popen(
      "git -C \"$(dirname \"$(readlink -f /proc/self/exe)\")\" rev-parse --short HEAD 2>/dev/null",
      "r");
  if (p == nullptr) {
    return "unknown";
  }
  char buf[64] = {};
  const bool ok = std::fgets(buf, sizeof buf, p) != nullptr;
  ::pclose(p);
  std::string id = ok ? buf : "unknown";
  while (!id.empty() && (id.back() == '\n')) {
    id.pop_back();
  }
  return id.empty() ? "unknown" : id;
}

}  // namespace

Result<std::vector<std::uint64_t>> parseSizes(const std::string& list) {
  std::vector<std::uint64_t> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) {
      continue;
    }
    std::uint64_t mult = 1;
    const char suffix = item.back();
    if (suffix == 'K' || suffix == 'k') {
      mult = 1ULL << 10;
    } else if (suffix == 'M' || suffix == 'm') {
      mult = 1ULL << 20;
    } else if (suffix == 'G' || suffix == 'g') {
      mult = 1ULL << 30;
    }
    if (mult != 1) {
      item.pop_back();
    }
    if (item.empty() || !std::ranges::all_of(item, [](char c) { return c >= '0' && c <= '9'; })) {
      return fail(Errc::kInvalidArgument, "bench", "bad size '" + item + "' in --sizes");
    }
    const std::uint64_t n = std::stoull(item) * mult;
    if (n > UINT32_MAX - 65536) {
      return fail(Errc::kInvalidArgument, "bench", "sizes must stay below 4 GiB (wasm32)");
    }
    out.push_back(n);
  }
  if (out.empty()) {
    return fail(Errc::kInvalidArgument, "bench", "--sizes is empty");
  }
  return out;
}

namespace {

// The published Roadrunner's speedups over its WasmEdge baseline (raw bytes over HTTP), per
// payload size: embedded and kernel mode (docs/benchmarks.md, "Against the paper").
struct PaperPoint {
  std::uint64_t size;
  double embedded, kernel;
};
constexpr std::array kPaper = {
    PaperPoint{1ULL << 20U, 7.7, 0.12}, PaperPoint{10ULL << 20U, 10.8, 1.06},
    PaperPoint{100ULL << 20U, 8.8, 4.21}, PaperPoint{500ULL << 20U, 8.9, 5.96}};

// Its inter-node figure: network mode's speedups over runc (raw bytes over HTTP between
// containers) and over WasmEdge, total latencies over a link of about 1 Gbit/s.
struct PaperInterNode {
  std::uint64_t size;
  double over_runc, over_wasmedge;
};
constexpr std::array kPaperInterNode = {
    PaperInterNode{1ULL << 20U, 1.07, 1.97}, PaperInterNode{10ULL << 20U, 0.98, 2.65},
    PaperInterNode{100ULL << 20U, 1.07, 2.60}, PaperInterNode{500ULL << 20U, 1.04, 2.59}};

// The systems of the inter-node figure: network mode and the raw-bytes baselines (the paper's
// runc and WasmEdge), each with its receivers on the test host.
constexpr std::array kInterNodeSystems = {"network", "native-http-raw", "wasmedge-http-raw"};

// Whether `system` runs the fan-out workload: Roadrunner's modes, the raw-bytes baselines, and
// wasmedge-http when its raw variant is not also measured (the paper's fan-out baseline sent raw
// bytes; the JSON one adds many minutes at N = 100 and no comparison the chain does not make).
bool hasFanout(const Options& o, const std::string& system) {
  if (movesPayload(system)) {
    return false;
  }
  if (!isBaseline(system)) {
    return true;
  }
  if (system == "wasmedge-http") {
    return std::ranges::find(o.systems, "wasmedge-http-raw") == o.systems.end();
  }
  return system == "wasmedge-http-raw" || system == "native-http-raw";
}

Result<json> fanoutRow(const Options& o, const std::string& system, std::uint64_t size,
                       std::uint32_t n) {
  if (isWasmedgeHttp(system)) {
    return runWasmedgeHttp(httpOptions(o, system, size, n, true));
  }
  if (isBaseline(system)) {
    return runBaselineFanout(system, size, o.runs, n);
  }
  return runFanout(o, system, size, n);
}

bool isPeer(const std::string& system) {
  return system == "iceoryx" || system == "nats" || system == "grpc";
}

// roadrunner-bench-peers, built beside the roadrunner executable.
std::string peerExe(const Options& o) {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink(o.roadrunner_exe, ec);
  return ((ec ? std::filesystem::path(o.roadrunner_exe) : exe).parent_path() /
          "roadrunner-bench-peers")
      .string();
}

// Why `system` cannot carry `size` at all, or empty: nats-server's max_payload tops out at
// 64 MiB.
std::string cannotCarry(const std::string& system, std::uint64_t size) {
  if (system == "nats" && size > (64ULL << 20U)) {
    return "nats-server's max_payload is at most 64 MiB";
  }
  return {};
}

Result<json> runSystem(const Options& o, const std::string& system, std::uint64_t size,
                       bool in_place) {
  if (isPeer(system)) {
    return runPeer(peerExe(o), system, size, o.runs);
  }
  if (isWasmedgeHttp(system)) {
    return runWasmedgeHttp(httpOptions(o, system, size, 1, false));
  }
  if (isBaseline(system)) {
    return runBaseline(system, size, o.runs, placementOf(o));
  }
  return runChain(o, system, size, in_place);
}

void printHeader() {
  std::printf("%-17s %-8s %8s %10s %23s %10s %10s %10s %7s %8s\n", "system", "workload", "size",
              "to_handler", "consumed [q1 - q3]", "round", "cold", "limit", "ratio", "verified");
}

void printRow(const json& r, double limit) {
  const auto ms = [&](const char* key) { return r[key]["median"].get<double>() * 1e3; };
  const double consumed = r["consumed_s"]["median"].get<double>();
  char range[64];
  std::snprintf(range, sizeof range, "%.3f [%.3f - %.3f]", consumed * 1e3,
                r["consumed_s"]["q1"].get<double>() * 1e3,
                r["consumed_s"]["q3"].get<double>() * 1e3);
  std::printf("%-17s %-8s %8s %10.3f %23s %10.3f %10.3f %10.3f %6.2fx %8s\n",
              r["system"].get<std::string>().c_str(), r["workload"].get<std::string>().c_str(),
              sizeName(r["payload_bytes"].get<std::uint64_t>()).c_str(), ms("to_handler_s"), range,
              ms("round_s"), r["first_s"].get<double>() * 1e3, limit * 1e3,
              limit > 0 ? consumed / limit : 0.0, r["verified"].get<bool>() ? "yes" : "NO");
  std::fflush(stdout);
}

// Every Roadrunner row against every baseline row of the same size, on consumed_s medians.
void addSpeedups(json& doc) {
  for (const auto& r : doc["results"]) {
    if (r["workload"] != "chain" || isBaseline(r["system"].get<std::string>())) {
      continue;
    }
    for (const auto& b : doc["results"]) {
      if (b["workload"] == "chain" && b["payload_bytes"] == r["payload_bytes"] &&
          isBaseline(b["system"].get<std::string>())) {
        const double ours = r["consumed_s"]["median"].get<double>();
        doc["ratios"].push_back(
            {{"system", r["system"]},
             {"payload_bytes", r["payload_bytes"]},
             {"baseline", b["system"]},
             {"speedup", ours > 0 ? b["consumed_s"]["median"].get<double>() / ours : 0.0}});
      }
    }
  }
}

double speedup(const json& doc, const std::string& system, std::uint64_t size,
               const std::string& baseline) {
  for (const auto& r : doc["ratios"]) {
    if (r.value("system", "") == system && r.value("baseline", "") == baseline &&
        r.value("payload_bytes", std::uint64_t{0}) == size) {
      return r["speedup"].get<double>();
    }
  }
  return 0;
}

// The paper's headline beside ours: speedups over the raw-bytes WasmEdge baseline.
void addPaperTable(json& doc) {
  std::printf("\nagainst the paper: speedup over wasmedge-http-raw, consumed_s medians\n");
  std::printf("%8s %12s %12s %16s %12s\n", "size", "embedded", "paper", "kernel-memfd", "paper");
  for (const PaperPoint& p : kPaper) {
    const double e = speedup(doc, "embedded", p.size, "wasmedge-http-raw");
    const double k = speedup(doc, "kernel-memfd", p.size, "wasmedge-http-raw");
    if (e == 0 && k == 0) {
      continue;
    }
    std::printf("%8s %11.2fx %11.2fx %15.2fx %11.2fx\n", sizeName(p.size).c_str(), e, p.embedded, k,
                p.kernel);
    doc["paper"].push_back({{"payload_bytes", p.size},
                            {"embedded", e},
                            {"paper_embedded", p.embedded},
                            {"kernel_memfd", k},
                            {"paper_kernel", p.kernel}});
  }
}

// One size: the limits' first half, every system, the limits' second half; then the rows.
Result<> runSize(const Options& o, std::uint64_t size, json& doc,
                 const std::function<void(const std::string&)>& progress) {
  std::vector<std::string> limits;
  for (const auto& system : o.systems) {
    if (std::ranges::find(limits, limitOf(system)) == limits.end()) {
      limits.push_back(limitOf(system));
    }
  }
  std::map<std::string, MeasuredLimit> measured;
  progress("limits " + sizeName(size));
  for (const auto& name : limits) {
    measured[name].before = measureLimit(o, name, size, (o.runs + 1) / 2);
  }
  doc["limits"].push_back({{"name", "memcpy_fresh"},
                           {"window", "landed"},
                           {"payload_bytes", size},
                           {"seconds", summarize(memcpyFresh(size, o.runs)).median}});
  std::vector<json> rows;
  for (const auto& system : o.systems) {
    progress(system + " " + sizeName(size));
    if (const std::string why = cannotCarry(system, size); !why.empty()) {
      doc["skipped"].push_back({{"system", system}, {"payload_bytes", size}, {"reason", why}});
      continue;
    }
    RR_ASSIGN_OR_RETURN(json row, runSystem(o, system, size, false));
    rows.push_back(std::move(row));
    if (o.in_place && !isBaseline(system)) {
      progress(system + " in-place " + sizeName(size));
      RR_ASSIGN_OR_RETURN(json in_place, runSystem(o, system, size, true));
      rows.push_back(std::move(in_place));
    }
  }
  progress("limits " + sizeName(size));
  for (const auto& name : limits) {
    measured[name].after = measureLimit(o, name, size, std::max(1, o.runs / 2));
  }
  if (o.progress && ::isatty(2) != 0) {
    std::fprintf(stderr, "\r%60s\r", "");
  }
  for (const auto& [name, m] : measured) {
    recordLimit(doc, name, size, m);
    if (m.moved()) {
      doc["noisy"] = true;
      doc["noisy_because"].push_back(
          name + " at " + sizeName(size) + " moved from " +
          std::to_string(summarize(m.before.consumed).median * 1e3) + " ms to " +
          std::to_string(summarize(m.after.consumed).median * 1e3) + " ms");
    }
  }
  for (auto& row : rows) {
    const std::string system = row["system"].get<std::string>();
    const bool in_place = row["workload"] == "in-place";
    const MeasuredLimit& m = measured.at(limitOf(system));
    const double limit =
        summarize(m.all(in_place ? &LimitSamples::in_place : &LimitSamples::consumed)).median;
    const double median = row["consumed_s"]["median"].get<double>();
    doc["ratios"].push_back({{"system", system},
                             {"workload", row["workload"]},
                             {"payload_bytes", size},
                             {"limit", limitOf(system)},
                             {"window", in_place ? "in_place" : "consumed"},
                             {"ratio", limit > 0 ? median / limit : 0.0}});
    printRow(row, limit);
    doc["results"].push_back(std::move(row));
  }
  return {};
}

// The inter-node figure's table: network mode's speedups over the raw-bytes baselines on the
// shaped link, beside the paper's.
void addPaperInterNodeTable(json& section) {
  std::printf("\nagainst the paper, inter-node: network's speedup, consumed_s medians\n");
  std::printf("%8s %16s %12s %18s %12s\n", "size", "native-http-raw", "paper runc",
              "wasmedge-http-raw", "paper");
  for (const PaperInterNode& p : kPaperInterNode) {
    const double n = speedup(section, "network", p.size, "native-http-raw");
    const double w = speedup(section, "network", p.size, "wasmedge-http-raw");
    if (n == 0 && w == 0) {
      continue;
    }
    std::printf("%8s %15.2fx %11.2fx %17.2fx %11.2fx\n", sizeName(p.size).c_str(), n, p.over_runc,
                w, p.over_wasmedge);
    section["paper"].push_back({{"payload_bytes", p.size},
                                {"over_native_http_raw", n},
                                {"paper_over_runc", p.over_runc},
                                {"over_wasmedge_http_raw", w},
                                {"paper_over_wasmedge", p.over_wasmedge}});
  }
}

// The inter-node figure: the inter-node systems among o.systems, receivers on a test host
// behind a veth pair shaped to o.link_rate, every size; its own limits, rows and ratios go into
// doc["inter_node"].
Result<> runInterNode(const Options& o, json& doc,
                      const std::function<void(const std::string&)>& progress) {
  Options io = o;
  io.systems.clear();
  for (const char* s : kInterNodeSystems) {
    if (std::ranges::find(o.systems, s) != o.systems.end()) {
      io.systems.emplace_back(s);
    }
  }
  if (io.systems.empty()) {
    return fail(Errc::kInvalidArgument, "bench",
                "--link-rate measures network, native-http-raw or wasmedge-http-raw; none is among "
                "the systems");
  }
  RR_ASSIGN_OR_RETURN(const TestLink link, TestLink::create(o.link_rate));
  io.serve_netns = link.netns();
  io.network_host = link.peerIp();
  io.in_place = false;
  json section{
      {"link", {{"path", "veth"}, {"rate", link.rate()}, {"shaping", "tc tbf, both ends"}}},
      {"noisy", false},
      {"noisy_because", json::array()},
      {"skipped", json::array()},
      {"limits", json::array()},
      {"results", json::array()},
      {"ratios", json::array()}};
  std::printf("\ninter-node: receivers on a test host behind a veth pair shaped to %s\n",
              link.rate().c_str());
  printHeader();
  for (const std::uint64_t size : o.sizes) {
    RR_RETURN_IF_ERROR(runSize(io, size, section, progress));
  }
  addSpeedups(section);
  addPaperInterNodeTable(section);
  if (section["noisy"].get<bool>()) {
    doc["noisy"] = true;
    for (const auto& why : section["noisy_because"]) {
      doc["noisy_because"].push_back("inter-node: " + why.get<std::string>());
    }
  }
  doc["inter_node"] = std::move(section);
  return {};
}

}  // namespace

Result<> run(const Options& o) {
  for (const auto& s : o.systems) {
    if (!isKnown(s)) {
      std::string known;
      for (const char* k : kRoadrunnerSystems) {
        known += std::string(known.empty() ? "" : ", ") + k;
      }
      for (const char* k : kBaselines) {
        known += std::string(", ") + k;
      }
      return fail(Errc::kInvalidArgument, "bench",
                  "system '" + s + "' is not available in this build (available: " + known + ")");
    }
  }
  for (const auto& system : o.systems) {
    if (sendsFromSpecialBuffers(system) && o.guests != "c") {
      return fail(Errc::kInvalidArgument, "bench",
                  system +
                      " runs the C guests only (--guests c): the other SDKs' benchmark "
                      "senders have no move or shared buffers");
    }
    if (isWasmedgeHttp(system)) {
      for (const std::uint64_t size : o.sizes) {
        RR_RETURN_IF_ERROR(wasmedgeHttpFits(size, system.ends_with("-raw")));
      }
    }
  }
  utsname uts{};
  ::uname(&uts);
  const MachineLoad load_at_start = machineLoad();
  json doc{{"version", 2},
           {"commit", commitId()},
           {"machine",
            {{"cpus", ::sysconf(_SC_NPROCESSORS_ONLN)},
             {"kernel", uts.release},
             {"wasmedge", wasm::wasmedgeVersion()}}},
           {"network_path", o.serve_netns.empty() ? "loopback" : "veth"},
           {"splice_threshold", o.splice_threshold},
           {"runs", o.runs},
           {"guests", o.guests},
           {"noisy", false},
           {"noisy_because", json::array()},
           {"skipped", json::array()},
           {"limits", json::array()},
           {"results", json::array()},
           {"ratios", json::array()}};
  std::printf(
      "milliseconds; windows from the send call: to_handler (receiver holds the bytes), consumed "
      "(it has read them all), round (the send returned); cold: round 0's consumed; ratio: "
      "consumed / the same run's limit doing the same work; Roadrunner's chain guests: %s\n",
      o.guests == "rust" ? "Rust (rust_bench_sender, rust_bench_receiver)"
                         : "C (bench_sender, bench_receiver)");
  printHeader();
  std::size_t step = 0;
  const std::size_t steps =
      o.sizes.size() * (2 + o.systems.size() * (o.in_place ? 2 : 1)) +
      o.fanouts.size() * o.systems.size() +
      (o.link_rate.empty() ? 0 : o.sizes.size() * (2 + kInterNodeSystems.size()));
  const auto progress = [&](const std::string& what) {
    ++step;
    if (o.progress && ::isatty(2) != 0) {
      std::fprintf(stderr, "\r[%zu/%zu] %-40s", step, steps, what.c_str());
      std::fflush(stderr);
    }
  };
  for (const std::uint64_t size : o.sizes) {
    RR_RETURN_IF_ERROR(runSize(o, size, doc, progress));
  }
  addSpeedups(doc);
  if (o.paper) {
    addPaperTable(doc);
  }
  if (!o.fanouts.empty()) {
    const std::uint64_t size = o.fanout_size;
    const Stats unix_limit = summarize(unixLimit(size, o.runs).consumed);
    const Stats tcp_limit =
        summarize(tcpLimit(size, o.runs, o.network_host, o.serve_netns).consumed);
    doc["limits"].push_back({{"name", "unix"},
                             {"window", "consumed"},
                             {"workload", "fanout"},
                             {"payload_bytes", size},
                             {"seconds", unix_limit.median}});
    doc["limits"].push_back({{"name", "tcp"},
                             {"window", "consumed"},
                             {"workload", "fanout"},
                             {"payload_bytes", size},
                             {"seconds", tcp_limit.median}});
    std::printf(
        "\nfan-out, %s per receiver; throughput of consumed bytes (limit: one stream's, "
        "same run)\n",
        sizeName(size).c_str());
    std::printf("%-17s %6s %12s %12s %12s %12s %8s %8s\n", "system", "N", "to_handler", "consumed",
                "MB/s", "limit MB/s", "ratio", "verified");
    for (const std::uint32_t n : o.fanouts) {
      for (const auto& system : o.systems) {
        if (!hasFanout(o, system)) {
          continue;
        }
        progress(system + " fan-out " + std::to_string(n));
        RR_ASSIGN_OR_RETURN(json result, fanoutRow(o, system, size, n));
        const double mbps = result["throughput_MBps"].get<double>();
        const bool over_tcp = system == "network" || isBaseline(system);
        const double limit_s = system.starts_with("embedded") ? 0
                               : over_tcp                     ? tcp_limit.median
                                                              : unix_limit.median;
        const double limit_mbps = limit_s > 0 ? static_cast<double>(size) / limit_s / 1e6 : 0;
        const double ratio = limit_mbps > 0 ? mbps / limit_mbps : 0;
        if (limit_mbps > 0) {
          doc["ratios"].push_back({{"system", system},
                                   {"workload", "fanout"},
                                   {"fanout", n},
                                   {"payload_bytes", size},
                                   {"limit", over_tcp ? "tcp" : "unix"},
                                   {"throughput_ratio", ratio}});
        }
        if (o.progress && ::isatty(2) != 0) {
          std::fprintf(stderr, "\r%60s\r", "");
        }
        std::printf("%-17s %6u %9.3f ms %9.3f ms %12.0f %12.0f %7.2fx %8s\n", system.c_str(), n,
                    result["to_handler_s"]["median"].get<double>() * 1e3,
                    result["consumed_s"]["median"].get<double>() * 1e3, mbps, limit_mbps, ratio,
                    result["verified"].get<bool>() ? "yes" : "NO");
        std::fflush(stdout);
        doc["results"].push_back(std::move(result));
      }
    }
    // Roadrunner's fan-out throughput against the wasmedge-http baselines', per N.
    for (const auto& r : doc["results"]) {
      if (r["workload"] != "fanout" || isBaseline(r["system"].get<std::string>())) {
        continue;
      }
      for (const auto& b : doc["results"]) {
        if (b["workload"] == "fanout" && isBaseline(b["system"].get<std::string>()) &&
            b["fanout"] == r["fanout"]) {
          const double theirs = b["throughput_MBps"].get<double>();
          doc["ratios"].push_back(
              {{"system", r["system"]},
               {"workload", "fanout"},
               {"fanout", r["fanout"]},
               {"payload_bytes", r["payload_bytes"]},
               {"baseline", b["system"]},
               {"throughput_speedup",
                theirs > 0 ? r["throughput_MBps"].get<double>() / theirs : 0.0}});
        }
      }
    }
  }
  if (!o.link_rate.empty()) {
    RR_RETURN_IF_ERROR(runInterNode(o, doc, progress));
  }
  for (const auto& s : doc["skipped"]) {
    std::printf("%s skipped at %s: %s\n", s["system"].get<std::string>().c_str(),
                sizeName(s["payload_bytes"].get<std::uint64_t>()).c_str(),
                s["reason"].get<std::string>().c_str());
  }
  if (doc["noisy"].get<bool>()) {
    std::printf("\nNOISY: the limits moved during the run (%s); read its ratios with care\n",
                doc["noisy_because"].dump().c_str());
  }
  doc["machine"]["load"] = toJson(load_at_start, machineLoad());
  if (!o.json_path.empty()) {
    std::ofstream(o.json_path) << doc.dump(2) << "\n";
    std::string csv_path = o.json_path;
    if (csv_path.ends_with(".json")) {
      csv_path.resize(csv_path.size() - 5);
    }
    csv_path += ".csv";
    std::ofstream csv(csv_path);
    csv << "system,workload,payload_bytes,fanout,runs,to_handler_median_s,consumed_median_s,"
           "consumed_q1_s,consumed_q3_s,round_median_s,first_s,latency_p90_s,"
           "latency_min_s,latency_max_s,serialization_s,throughput_MBps,cpu_user_s,cpu_sys_s,"
           "peak_rss_bytes,copies,verified\n";
    for (const auto& r : doc["results"]) {
      csv << r["system"].get<std::string>() << "," << r["workload"].get<std::string>() << ","
          << r["payload_bytes"] << "," << r["fanout"] << "," << r["runs"] << ","
          << r["to_handler_s"]["median"] << "," << r["consumed_s"]["median"] << ","
          << r["consumed_s"]["q1"] << "," << r["consumed_s"]["q3"] << "," << r["round_s"]["median"]
          << "," << r["first_s"] << "," << r["latency_s"]["p90"] << "," << r["latency_s"]["min"]
          << "," << r["latency_s"]["max"] << "," << r["serialization_s"] << ","
          << r["throughput_MBps"] << "," << r["cpu_user_s"] << "," << r["cpu_sys_s"] << ","
          << r["peak_rss_bytes"] << "," << r["copies"] << ","
          << (r["verified"].get<bool>() ? "true" : "false") << "\n";
    }
    std::printf("wrote %s and %s\n", o.json_path.c_str(), csv_path.c_str());
  }
  for (const auto& r : doc["results"]) {
    if (!r["verified"].get<bool>()) {
      return fail(Errc::kInvalidArgument, "bench", "a transfer was not verified");
    }
  }
  for (const auto& r : doc.value("inter_node", json::object()).value("results", json::array())) {
    if (!r["verified"].get<bool>()) {
      return fail(Errc::kInvalidArgument, "bench", "an inter-node transfer was not verified");
    }
  }
  return {};
}

}  // namespace rr::bench
