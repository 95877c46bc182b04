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
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
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
#include "../baselines/wasmedge_http.h"
#include "measure.h"

namespace rr::bench {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// memcpy of `size` bytes into a warm (pre-touched) buffer: the in-process ceiling.
std::vector<double> memcpyWarm(std::uint64_t size, int runs) {
  std::vector<char> src(size, 'a');
  std::vector<char> dst(size, 'b');
  std::vector<double> out;
  for (int i = 0; i <= runs; ++i) {
    const auto t0 = Clock::now();
    std::memcpy(dst.data(), src.data(), size);
    asm volatile("" ::"r"(dst.data()) : "memory");
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (i > 0) {
      out.push_back(s);
    }
  }
  return out;
}

// memcpy into freshly mapped pages: what a cold receiver pays (page faults included).
std::vector<double> memcpyFresh(std::uint64_t size, int runs) {
  std::vector<char> src(size, 'a');
  std::vector<double> out;
  for (int i = 0; i < runs; ++i) {
    auto dst = sys::Mapping::map(size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    if (!dst) {
      break;
    }
    const auto t0 = Clock::now();
    std::memcpy(dst->data(), src.data(), size);
    out.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return out;
}

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
  return system == "embedded"  ? runtime::EdgeMode::kEmbedded
         : system == "network" ? runtime::EdgeMode::kNetwork
                               : runtime::EdgeMode::kKernel;
}

// The baselines: programs outside Roadrunner that move the same payload the way functions do
// today.
bool isBaseline(const std::string& system) {
  return system == "native-http" || system == "redis" || system == "wasmedge-http";
}

WasmedgeHttpOptions httpOptions(const Options& o, std::uint64_t size, std::uint32_t consumers,
                                bool fanout) {
  return {.guest_dir = o.guest_dir,
          .size = size,
          .consumers = consumers,
          .runs = o.runs,
          .fanout = fanout,
          .corrupt = std::getenv("RR_BENCH_CORRUPT_FOR_TEST") != nullptr};
}

runtime::RunOptions runOptionsFor(const Options& o, const std::string& system) {
  return {.prefix_output = false,
          .record_latencies = true,
          .roadrunner_exe = o.roadrunner_exe,
          .memfd_threshold = system.starts_with("kernel-memfd") ? 0 : UINT64_MAX,
          .memfd_map = system != "kernel-memfd-copy",
          .splice_threshold = o.splice_threshold,
          .network_host = o.network_host,
          .serve_prefix = servePrefix(o)};
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

// One system's chain run: bench_sender sends the payload runs + 1 times to bench_receiver.
Result<json> runChain(const Options& o, const std::string& system, std::uint64_t size) {
  const runtime::Workflow w{
      .name = "bench-" + system,
      .functions = {{.name = "sender",
                     .wasm = o.guest_dir + "/bench_sender.wasm",
                     .args = {"receiver", std::to_string(size), std::to_string(o.runs + 1)}},
                    {.name = "receiver", .wasm = o.guest_dir + "/bench_receiver.wasm"}},
      .edges = {{.from = "sender", .to = "receiver", .mode = modeOf(system)}}};
  RR_ASSIGN_OR_RETURN(const MeasuredRun run,
                      measuredRun(w, runOptionsFor(o, system), system != "embedded"));
  const runtime::RunReport& report = run.report;
  const runtime::InstanceReport* sender = nullptr;
  const runtime::InstanceReport* receiver = nullptr;
  for (const auto& r : report.instances) {
    (r.receiver ? receiver : sender) = &r;
  }
  if (sender == nullptr || receiver == nullptr) {
    return fail(Errc::kInvalidArgument, "bench", system + " run lost an instance");
  }
  std::vector<double> lat = receiver->latencies;
  // The first round (a receiver that has just started, a fresh connection) is reported on its
  // own as first_s; the statistics are over the steady state after it.
  const double first = lat.empty() ? 0.0 : lat.front();
  if (!lat.empty()) {
    lat.erase(lat.begin());
  }
  const Stats s = summarize(lat);
  return json{{"system", system},
              {"workload", "chain"},
              {"payload_bytes", size},
              {"fanout", 1},
              {"runs", lat.size()},
              {"latency_s", toJson(s)},
              {"first_s", first},
              {"transfer_s", s.median},
              {"serialization_s", 0.0},
              {"throughput_MBps", s.median > 0 ? static_cast<double>(size) / s.median / 1e6 : 0.0},
              {"cpu_user_s", run.cpu_user_s},
              {"cpu_sys_s", run.cpu_sys_s},
              {"peak_rss_bytes", run.peak_rss_bytes},
              {"copies", sender->sends > 0 ? sender->copies / sender->sends : 0},
              {"verified", report.exit_code == 0 && sender->exit_code == 0 &&
                               lat.size() == static_cast<std::size_t>(o.runs)}};
}

// Fan-out: bench_fan_sender sends the payload runs + 1 times to a group of `n` receivers; every
// send reaches all of them concurrently. Latency of a round: the send call to the last
// receiver's handler entry.
Result<json> runFanout(const Options& o, const std::string& system, std::uint64_t size,
                       std::uint32_t n) {
  const runtime::Workflow w{
      .name = "bench-fanout-" + system,
      .functions = {{.name = "sender",
                     .wasm = o.guest_dir + "/bench_fan_sender.wasm",
                     .args = {std::to_string(size), std::to_string(o.runs + 1)}},
                    {.name = "receiver",
                     .wasm = o.guest_dir + "/bench_receiver.wasm",
                     .env = {"BENCH_NO_REPLY=1"},
                     .instances = n}},
      .edges = {{.from = "sender", .to = "receiver", .mode = modeOf(system)}}};
  RR_ASSIGN_OR_RETURN(const MeasuredRun run,
                      measuredRun(w, runOptionsFor(o, system), system != "embedded"));
  const runtime::RunReport& report = run.report;
  std::vector<double> rounds(static_cast<std::size_t>(o.runs + 1), 0.0);
  std::size_t receivers = 0;
  bool complete = true;
  const runtime::InstanceReport* sender = nullptr;
  for (const auto& r : report.instances) {
    if (!r.receiver) {
      sender = &r;
      continue;
    }
    ++receivers;
    complete = complete && r.latencies.size() == rounds.size();
    for (std::size_t i = 0; i < rounds.size() && i < r.latencies.size(); ++i) {
      rounds[i] = std::max(rounds[i], r.latencies[i]);
    }
  }
  const double first = rounds.front();  // as for the chain: the first round, on its own
  rounds.erase(rounds.begin());
  const Stats s = summarize(rounds);
  const double bytes = static_cast<double>(size) * n;
  return json{
      {"system", system},
      {"workload", "fanout"},
      {"payload_bytes", size},
      {"fanout", n},
      {"runs", rounds.size()},
      {"latency_s", toJson(s)},
      {"first_s", first},
      {"transfer_s", s.median},
      {"serialization_s", 0.0},
      {"throughput_MBps", s.median > 0 ? bytes / s.median / 1e6 : 0.0},
      {"cpu_user_s", run.cpu_user_s},
      {"cpu_sys_s", run.cpu_sys_s},
      {"peak_rss_bytes", run.peak_rss_bytes},
      {"copies", sender != nullptr && sender->sends > 0 ? sender->copies / sender->sends : 0},
      // Every member checked every round's payload (bench_receiver); a damaged one fails the
      // send, and so the sender.
      {"verified", report.exit_code == 0 && sender != nullptr && sender->exit_code == 0 &&
                       receivers == n && complete}};
}

// AF_UNIX write -> read of `size` bytes between two processes (the receiver reads into a warm
// buffer and answers with one byte): the kernel path's physical limit.
// The reading side of a stream limit, in a child process: reads `size` bytes into a warm buffer
// and answers with one byte, runs + 1 times; then exits.
[[noreturn]] void readAndAnswer(int fd, std::uint64_t size, int runs) {
  std::vector<char> buf(size == 0 ? 1 : size, 'r');
  for (int i = 0; i <= runs; ++i) {
    for (std::size_t got = 0; got < size;) {
      const ssize_t n = ::read(fd, buf.data() + got, size - got);
      if (n <= 0) {
        ::_exit(1);
      }
      got += static_cast<std::size_t>(n);
    }
    if (::write(fd, "k", 1) != 1) {
      ::_exit(1);
    }
  }
  ::_exit(0);
}

// The writing side: writes `size` bytes and waits for the answer, runs + 1 times; the first
// (warm-up) is dropped.
std::vector<double> writeAndTime(int fd, std::uint64_t size, int runs) {
  std::vector<char> src(size == 0 ? 1 : size, 'a');
  std::vector<double> out;
  for (int i = 0; i <= runs; ++i) {
    const auto t0 = Clock::now();
    for (std::size_t sent = 0; sent < size;) {
      const ssize_t n = ::write(fd, src.data() + sent, size - sent);
      if (n <= 0) {
        return out;
      }
      sent += static_cast<std::size_t>(n);
    }
    char ack = 0;
    if (::read(fd, &ack, 1) != 1) {
      return out;
    }
    if (i > 0) {
      out.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    }
  }
  return out;
}

std::vector<double> streamLimit(std::uint64_t size, int runs, int sv[2]) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(sv[0]);
    readAndAnswer(sv[1], size, runs);
  }
  ::close(sv[1]);
  std::vector<double> out = writeAndTime(sv[0], size, runs);
  ::close(sv[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return out;
}

std::vector<double> unixLimit(std::uint64_t size, int runs) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return {};
  }
  return streamLimit(size, runs, sv);
}

// The same over TCP (TCP_NODELAY, as the network mode uses): the reading process listens on
// `host`, inside network namespace `netns` when one is given (a test host), the writer connects.
std::vector<double> tcpLimit(std::uint64_t size, int runs, const std::string& host,
                             const std::string& netns) {
  auto ready = sys::makePipe();
  if (!ready) {
    return {};
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ready->read_end.reset();
    if (!netns.empty()) {
      const int ns = ::open(("/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
      if (ns < 0 || ::setns(ns, CLONE_NEWNET) != 0) {
        ::_exit(1);
      }
    }
    auto listener = sys::listenTcp(host, 0);
    auto port = listener ? sys::localPort(listener->get()) : Result<std::uint16_t>{};
    if (!listener || !port) {
      ::_exit(1);
    }
    const std::uint16_t p = *port;
    if (::write(ready->write_end.get(), &p, sizeof p) != sizeof p) {
      ::_exit(1);
    }
    auto conn = sys::acceptConnection(listener->get());
    if (!conn) {
      ::_exit(1);
    }
    (void)sys::setNoDelay(conn->get());
    readAndAnswer(conn->get(), size, runs);
  }
  ready->write_end.reset();
  std::uint16_t port = 0;
  const bool got_port = ::read(ready->read_end.get(), &port, sizeof port) == sizeof port;
  ready->read_end.reset();
  std::vector<double> out;
  auto client = got_port ? sys::connectTcp(host, port, 5000) : Result<UniqueFd>{};
  if (got_port && client) {
    out = writeAndTime(client->get(), size, runs);
  }
  client = Result<UniqueFd>{};
  int status = 0;
  ::waitpid(pid, &status, 0);
  return out;
}

// A bare memfd handoff: SCM_RIGHTS to another process, which maps and unmaps it and answers.
std::vector<double> memfdLimit(std::uint64_t size, int runs) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return {};
  }
  auto memfd = sys::makeSizeSealedMemfd(size == 0 ? 4096 : size);
  if (!memfd) {
    return {};
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(sv[0]);
    for (int i = 0; i <= runs; ++i) {
      std::array<std::byte, 1> b{};
      UniqueFd fd;
      if (!sys::recvExact(sv[1], b, &fd) || !fd.valid()) {
        ::_exit(1);
      }
      if (!sys::Mapping::map(size == 0 ? 4096 : size, PROT_READ, MAP_PRIVATE, fd.get()) ||
          ::write(sv[1], "k", 1) != 1) {
        ::_exit(1);
      }
    }
    ::_exit(0);
  }
  ::close(sv[1]);
  std::vector<double> out;
  for (int i = 0; i <= runs; ++i) {
    const auto t0 = Clock::now();
    std::byte one{1};
    std::array<iovec, 1> iov = {iovec{&one, 1}};
    if (!sys::sendAll(sv[0], iov, memfd->get())) {
      break;
    }
    char ack = 0;
    if (::read(sv[0], &ack, 1) != 1) {
      break;
    }
    if (i > 0) {
      out.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    }
  }
  ::close(sv[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return out;
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

Result<> run(const Options& o) {
  for (const auto& s : o.systems) {
    if (s != "embedded" && s != "kernel" && s != "kernel-memfd" && s != "kernel-memfd-copy" &&
        s != "network" && s != "native-http" && s != "redis" && s != "wasmedge-http") {
      return fail(Errc::kInvalidArgument, "bench",
                  "system '" + s +
                      "' is not available in this build (available: embedded, kernel, "
                      "kernel-memfd, kernel-memfd-copy, network, native-http, redis, "
                      "wasmedge-http)");
    }
  }
  if (std::ranges::find(o.systems, "wasmedge-http") != o.systems.end()) {
    for (const std::uint64_t size : o.sizes) {
      RR_RETURN_IF_ERROR(wasmedgeHttpFits(size));
    }
    if (!o.fanouts.empty()) {
      RR_RETURN_IF_ERROR(wasmedgeHttpFits(o.fanout_size));
    }
  }
  utsname uts{};
  ::uname(&uts);
  const MachineLoad load_at_start = machineLoad();
  json doc{{"version", 1},
           {"commit", commitId()},
           {"machine",
            {{"cpus", ::sysconf(_SC_NPROCESSORS_ONLN)},
             {"kernel", uts.release},
             {"wasmedge", wasm::wasmedgeVersion()}}},
           {"network_path", o.serve_netns.empty() ? "loopback" : "veth"},
           {"splice_threshold", o.splice_threshold},
           {"limits", json::array()},
           {"results", json::array()},
           {"ratios", json::array()}};
  std::printf(
      "%-13s %9s %12s %12s %12s %8s %8s %8s  (limit: memcpy_warm for embedded, "
      "AF_UNIX write->read for kernel, TCP for network)\n",
      "system", "size", "median", "p90", "limit", "ratio", "MB/s", "verified");
  std::size_t step = 0;
  const std::size_t steps =
      o.sizes.size() * (1 + o.systems.size()) + o.fanouts.size() * o.systems.size();
  const auto progress = [&](const std::string& what) {
    ++step;
    if (o.progress && ::isatty(2) != 0) {
      std::fprintf(stderr, "\r[%zu/%zu] %-40s", step, steps, what.c_str());
      std::fflush(stderr);
    }
  };
  for (const std::uint64_t size : o.sizes) {
    progress("limits " + sizeName(size));
    const Stats warm = summarize(memcpyWarm(size, o.runs));
    const Stats fresh = summarize(memcpyFresh(size, o.runs));
    doc["limits"].push_back(
        {{"name", "memcpy_warm"}, {"payload_bytes", size}, {"seconds", warm.median}});
    doc["limits"].push_back(
        {{"name", "memcpy_fresh"}, {"payload_bytes", size}, {"seconds", fresh.median}});
    const bool any_kernel = std::ranges::any_of(
        o.systems, [](const std::string& sys_name) { return sys_name.starts_with("kernel"); });
    const bool any_network = std::ranges::any_of(o.systems, [](const std::string& sys_name) {
      return sys_name == "network" || isBaseline(sys_name);
    });
    const Stats tcp_limit =
        any_network ? summarize(tcpLimit(size, o.runs, o.network_host, o.serve_netns)) : Stats{};
    if (any_network) {
      doc["limits"].push_back(
          {{"name", "tcp"}, {"payload_bytes", size}, {"seconds", tcp_limit.median}});
    }
    const Stats unix_limit = any_kernel ? summarize(unixLimit(size, o.runs)) : Stats{};
    const Stats memfd_limit = any_kernel ? summarize(memfdLimit(size, o.runs)) : Stats{};
    if (any_kernel) {
      doc["limits"].push_back(
          {{"name", "unix"}, {"payload_bytes", size}, {"seconds", unix_limit.median}});
      doc["limits"].push_back(
          {{"name", "memfd"}, {"payload_bytes", size}, {"seconds", memfd_limit.median}});
    }
    for (const auto& system : o.systems) {
      progress(system + " " + sizeName(size));
      const bool baseline = isBaseline(system);
      RR_ASSIGN_OR_RETURN(json result, system == "wasmedge-http"
                                           ? runWasmedgeHttp(httpOptions(o, size, 1, false))
                                       : baseline ? runBaseline(system, size, o.runs)
                                                  : runChain(o, system, size));
      const double median = result["latency_s"]["median"].get<double>();
      const bool in_process = system == "embedded";
      const bool over_tcp = system == "network" || baseline;
      const double limit = in_process ? warm.median
                           : over_tcp ? tcp_limit.median
                                      : unix_limit.median;
      const double ratio = limit > 0 ? median / limit : 0;
      doc["ratios"].push_back({{"system", system},
                               {"payload_bytes", size},
                               {"limit", in_process ? "memcpy_warm"
                                         : over_tcp ? "tcp"
                                                    : "unix"},
                               {"ratio", ratio}});
      if (o.progress && ::isatty(2) != 0) {
        std::fprintf(stderr, "\r%60s\r", "");
      }
      std::printf("%-13s %9s %9.3f ms %9.3f ms %9.3f ms %7.2fx %8.0f %8s\n", system.c_str(),
                  sizeName(size).c_str(), median * 1e3,
                  result["latency_s"]["p90"].get<double>() * 1e3, limit * 1e3, ratio,
                  result["throughput_MBps"].get<double>(),
                  result["verified"].get<bool>() ? "yes" : "NO");
      std::fflush(stdout);
      doc["results"].push_back(std::move(result));
    }
  }
  // Roadrunner against the baselines, per size, from this run's medians.
  for (const auto& r : doc["results"]) {
    if (r["workload"] != "chain" || isBaseline(r["system"].get<std::string>())) {
      continue;
    }
    for (const auto& b : doc["results"]) {
      if (b["workload"] == "chain" && b["payload_bytes"] == r["payload_bytes"] &&
          isBaseline(b["system"].get<std::string>())) {
        const double ours = r["latency_s"]["median"].get<double>();
        doc["ratios"].push_back(
            {{"system", r["system"]},
             {"payload_bytes", r["payload_bytes"]},
             {"baseline", b["system"]},
             {"speedup", ours > 0 ? b["latency_s"]["median"].get<double>() / ours : 0.0}});
      }
    }
  }
  if (!o.fanouts.empty()) {
    const std::uint64_t size = o.fanout_size;
    const Stats unix_limit = summarize(unixLimit(size, o.runs));
    const Stats tcp_limit = summarize(tcpLimit(size, o.runs, o.network_host, o.serve_netns));
    doc["limits"].push_back(
        {{"name", "unix"}, {"payload_bytes", size}, {"seconds", unix_limit.median}});
    doc["limits"].push_back(
        {{"name", "tcp"}, {"payload_bytes", size}, {"seconds", tcp_limit.median}});
    std::printf("\nfan-out, %s per receiver (limit: one stream's throughput, same run)\n",
                sizeName(size).c_str());
    std::printf("%-13s %6s %12s %12s %12s %8s %8s\n", "system", "N", "median", "MB/s", "limit MB/s",
                "ratio", "verified");
    for (const std::uint32_t n : o.fanouts) {
      for (const auto& system : o.systems) {
        if (system == "native-http" || system == "redis") {
          continue;  // these baselines run the chain workload only
        }
        progress(system + " fan-out " + std::to_string(n));
        RR_ASSIGN_OR_RETURN(json result, system == "wasmedge-http"
                                             ? runWasmedgeHttp(httpOptions(o, size, n, true))
                                             : runFanout(o, system, size, n));
        const double mbps = result["throughput_MBps"].get<double>();
        const bool over_tcp = system == "network" || system == "wasmedge-http";
        const double limit_s = system == "embedded" ? 0
                               : over_tcp           ? tcp_limit.median
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
        std::printf("%-13s %6u %9.3f ms %12.0f %12.0f %7.2fx %8s\n", system.c_str(), n,
                    result["latency_s"]["median"].get<double>() * 1e3, mbps, limit_mbps, ratio,
                    result["verified"].get<bool>() ? "yes" : "NO");
        std::fflush(stdout);
        doc["results"].push_back(std::move(result));
      }
    }
    // Roadrunner's fan-out throughput against the wasmedge-http baseline's, per N.
    for (const auto& r : doc["results"]) {
      if (r["workload"] != "fanout" || r["system"] == "wasmedge-http") {
        continue;
      }
      for (const auto& b : doc["results"]) {
        if (b["workload"] == "fanout" && b["system"] == "wasmedge-http" &&
            b["fanout"] == r["fanout"]) {
          const double theirs = b["throughput_MBps"].get<double>();
          doc["ratios"].push_back(
              {{"system", r["system"]},
               {"workload", "fanout"},
               {"fanout", r["fanout"]},
               {"payload_bytes", r["payload_bytes"]},
               {"baseline", "wasmedge-http"},
               {"throughput_speedup",
                theirs > 0 ? r["throughput_MBps"].get<double>() / theirs : 0.0}});
        }
      }
    }
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
    csv << "system,workload,payload_bytes,fanout,runs,latency_median_s,latency_p90_s,"
           "latency_min_s,latency_max_s,serialization_s,throughput_MBps,cpu_user_s,cpu_sys_s,"
           "peak_rss_bytes,copies,verified\n";
    for (const auto& r : doc["results"]) {
      csv << r["system"].get<std::string>() << "," << r["workload"].get<std::string>() << ","
          << r["payload_bytes"] << "," << r["fanout"] << "," << r["runs"] << ","
          << r["latency_s"]["median"] << "," << r["latency_s"]["p90"] << ","
          << r["latency_s"]["min"] << "," << r["latency_s"]["max"] << "," << r["serialization_s"]
          << "," << r["throughput_MBps"] << "," << r["cpu_user_s"] << "," << r["cpu_sys_s"] << ","
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
  return {};
}

}  // namespace rr::bench
