#include "stream_workload.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "roadrunner/base/try.h"
#include "roadrunner/base/unique_fd.h"
#include "roadrunner/runtime/runner.h"
#include "roadrunner/transport/socket_endpoint.h"

#include "../guests/bench_stream.h"
#include "limits.h"
#include "measure.h"

namespace rr::bench {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr double kMB = 1e6;

// A /proc file's text, or "" (a process that exits while it is read: ESRCH). Not through a
// std::istreambuf_iterator, whose filebuf throws on a read error.
std::string procText(const std::string& path) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  std::string text;
  std::array<char, 4096> buf{};
  for (ssize_t n = 0; fd.valid() && (n = ::read(fd.get(), buf.data(), buf.size())) > 0;) {
    text.append(buf.data(), static_cast<std::size_t>(n));
  }
  return text;
}

// This process's RSS plus its children's (the serving processes of kernel and network edges).
std::uint64_t familyRss() {
  const std::string self = std::to_string(::getpid());
  std::uint64_t total = rssOf(self);
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) {
    return total;
  }
  while (const dirent* e = ::readdir(proc)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') {
      continue;
    }
    const std::string content = procText(std::string("/proc/") + e->d_name + "/stat");
    const auto close = content.rfind(')');
    if (close == std::string::npos) {
      continue;
    }
    // After "pid (comm) ": state, then ppid.
    std::string state;
    std::string ppid;
    std::istringstream rest(content.substr(close + 1));
    rest >> state >> ppid;
    if (ppid == self) {
      total += rssOf(e->d_name);
    }
  }
  ::closedir(proc);
  return total;
}

// Samples familyRss() every `every` on a thread of its own, from construction to stop().
class RssSampler {
 public:
  explicit RssSampler(std::chrono::milliseconds every)
      : start_(Clock::now()), thread_([this, every] { loop(every); }) {}
  RssSampler(const RssSampler&) = delete;
  RssSampler& operator=(const RssSampler&) = delete;
  ~RssSampler() { stop(); }
  // Ends the sampling (joins the thread) and returns [seconds, bytes] pairs.
  std::vector<std::pair<double, std::uint64_t>> stop() {
    {
      const std::scoped_lock lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) {
      thread_.join();
    }
    return samples_;
  }

 private:
  void loop(std::chrono::milliseconds every) {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      const std::uint64_t rss = familyRss();
      const double at = std::chrono::duration<double>(Clock::now() - start_).count();
      lock.lock();
      samples_.emplace_back(at, rss);
      cv_.wait_for(lock, every, [this] { return stopping_; });
    }
  }
  Clock::time_point start_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<std::pair<double, std::uint64_t>> samples_;
  std::thread thread_;  // last: starts once the rest exists
};

runtime::EdgeMode edgeMode(const std::string& mode) {
  return mode == "kernel"    ? runtime::EdgeMode::kKernel
         : mode == "network" ? runtime::EdgeMode::kNetwork
                             : runtime::EdgeMode::kEmbedded;
}

std::string hex(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// One workload run's shape.
struct Shape {
  std::string producer_mode;  // stream, whole or stamps
  std::uint64_t total = 0;
  std::uint32_t rounds = 0;
  bool transform = true;  // producer -> transform -> sink, else producer -> sink
  std::uint32_t memory_mib = 0;
  std::uint64_t expect_hash = 0;  // checked unless stamps
  std::uint32_t repeat = 1;       // the producer times its last of this many
};

struct Outcome {
  double seconds = 0;                                             // the producer's own window
  std::vector<std::pair<std::string, std::uint64_t>> memory_kib;  // in-process functions
  std::uint64_t served_peak_rss = 0;
  // The producer's copied bytes, and of them those its own thread copied (in process only).
  std::uint64_t copied_bytes = 0;
  std::uint64_t sender_copied_bytes = 0;
};

Result<Outcome> runOnce(const StreamOptions& o, const std::string& mode, const Shape& s) {
  const std::string first = s.transform ? "transform" : "sink";
  runtime::Workflow w{.name = "bench-stream-" + mode};
  w.functions.push_back(
      {.name = "producer",
       .wasm = o.guest_dir + "/bench_stream_producer.wasm",
       .args = {o.move_chunks && s.producer_mode == "stream" ? "move" : s.producer_mode, first,
                std::to_string(s.total), std::to_string(o.chunk), std::to_string(s.rounds),
                std::to_string(s.repeat)},
       .memory_limit_mib = s.memory_mib});
  if (s.transform) {
    w.functions.push_back(
        {.name = "transform",
         .wasm = o.guest_dir + "/bench_stream_stage.wasm",
         .env = {"STAGE=transform", "NEXT=sink", "ROUNDS=" + std::to_string(s.rounds)},
         .memory_limit_mib = s.memory_mib});
    w.edges.push_back({.from = "producer", .to = "transform", .mode = edgeMode(mode)});
    w.edges.push_back({.from = "transform", .to = "sink", .mode = edgeMode(mode)});
  } else {
    w.edges.push_back({.from = "producer", .to = "sink", .mode = edgeMode(mode)});
  }
  runtime::FunctionSpec sink{.name = "sink",
                             .wasm = o.guest_dir + "/bench_stream_stage.wasm",
                             .env = {"STAGE=sink", "ROUNDS=" + std::to_string(s.rounds),
                                     "EXPECT_BYTES=" + std::to_string(s.total)},
                             .memory_limit_mib = s.memory_mib};
  if (s.producer_mode == "stamps") {
    sink.env.emplace_back("STAMPS=1");
  } else {
    sink.env.push_back("EXPECT_HASH=" + hex(s.expect_hash));
  }
  w.functions.push_back(std::move(sink));
  const runtime::RunOptions options{.prefix_output = false,
                                    .roadrunner_exe = o.roadrunner_exe,
                                    .memfd_threshold = UINT64_MAX,
                                    .network_host = o.network_host};
  RR_ASSIGN_OR_RETURN(const runtime::RunReport report, runtime::runWorkflow(w, options));
  Outcome out{.served_peak_rss = report.served_peak_rss_bytes};
  for (const auto& i : report.instances) {
    for (const auto& [name, value] : i.guest_counters) {
      if (i.name == "producer" && name == "elapsed_us") {
        out.seconds = static_cast<double>(value) * 1e-6;
      }
      if (name == "memory_kib") {
        out.memory_kib.emplace_back(i.name, value);
      }
    }
    if (i.name == "producer") {
      out.copied_bytes = i.copied_bytes;
      out.sender_copied_bytes = i.sender_copied_bytes;
    }
    if (i.name == "producer" && i.exit_code != 0) {
      return fail(Errc::kInvalidArgument, "bench",
                  "stream " + s.producer_mode + " over " + mode +
                      ": the producer's final status was not ok (a check failed; see above)");
    }
  }
  if (report.exit_code != 0) {
    return fail(Errc::kInvalidArgument, "bench", "stream run over " + mode + " failed");
  }
  return out;
}

json statsJson(const std::vector<double>& samples) { return toJson(summarize(samples)); }

Result<json> throughputRow(const StreamOptions& o, const std::string& mode) {
  std::vector<double> limit_mbps;
  std::vector<double> mbps;
  std::vector<double> sender_copied;      // the share of the copy the producer's thread made
  std::vector<double> shared_limit_mbps;  // embedded: the limit with the copy shared as there
  std::vector<double> ring_limit_mbps;    // kernel: two processes copying through a ring
  const double bytes = static_cast<double>(o.throughput_total);
  for (int r = 0; r < o.runs; ++r) {  // alternating, so drift hits both alike
    RR_ASSIGN_OR_RETURN(const double limit_s,
                        streamLimitSeconds(mode, o.throughput_total, o.chunk, o.network_host));
    limit_mbps.push_back(bytes / limit_s / kMB);
    if (mode == "embedded") {
      shared_limit_mbps.push_back(bytes /
                                  sharedCopyStreamLimitSeconds(o.throughput_total, o.chunk) / kMB);
    }
    if (mode == "kernel" && o.chunk >= transport::SocketEndpointOptions{}.stream_ring_from &&
        o.chunk <= transport::SocketEndpoint::kRingSlot) {
      RR_ASSIGN_OR_RETURN(const double ring_s, ringStreamLimitSeconds(o.throughput_total, o.chunk));
      ring_limit_mbps.push_back(bytes / ring_s / kMB);
    }
    RR_ASSIGN_OR_RETURN(
        const Outcome run,
        runOnce(o, mode,
                {.producer_mode = "stamps", .total = o.throughput_total, .transform = false}));
    mbps.push_back(bytes / run.seconds / kMB);
    sender_copied.push_back(run.copied_bytes == 0 ? 0.0
                                                  : static_cast<double>(run.sender_copied_bytes) /
                                                        static_cast<double>(run.copied_bytes));
  }
  const double ratio = summarize(mbps).median / summarize(limit_mbps).median;
  // Across processes the limit's samples are bimodal with where the scheduler puts the two
  // processes (AF_UNIX here: 2-16 GB/s across CPUs, 11 GB/s on one), so a median of a few
  // can land on either mode. Against the fastest sample the ratio cannot flatter.
  const double best_ratio = summarize(mbps).median / summarize(limit_mbps).max;
  std::printf(
      "%-9s %-11s %8.0f MB/s  limit %8.0f MB/s  ratio %.2f  (%.2f of the fastest limit, %.0f "
      "MB/s; %s in %u KiB chunks, %d runs; the sender's thread copied %.0f%%)\n",
      mode.c_str(), "throughput", summarize(mbps).median, summarize(limit_mbps).median, ratio,
      best_ratio, summarize(limit_mbps).max,
      std::to_string(o.throughput_total >> 20U).append(" MiB").c_str(), o.chunk >> 10U, o.runs,
      100 * summarize(sender_copied).median);
  json shared_limit = nullptr;
  if (!shared_limit_mbps.empty()) {
    const double shared_ratio = summarize(mbps).median / summarize(shared_limit_mbps).median;
    std::printf("%-9s %-11s %8.0f MB/s  limit with the copy shared by both threads, ratio %.2f\n",
                mode.c_str(), "", summarize(shared_limit_mbps).median, shared_ratio);
    shared_limit = json{{"limit", "memcpy shared by the writer and reader threads, halves"},
                        {"limit_MBps", statsJson(shared_limit_mbps)},
                        {"limit_ratio", shared_ratio}};
  }
  // Kernel-mode chunks from 64 KiB go through a ring both hosts map, not the socket: the limit
  // of that path too, besides the AF_UNIX one.
  json ring_limit = nullptr;
  if (!ring_limit_mbps.empty()) {
    const double ring_ratio = summarize(mbps).median / summarize(ring_limit_mbps).median;
    std::printf("%-9s %-11s %8.0f MB/s  limit through a ring two processes map, ratio %.2f\n",
                mode.c_str(), "", summarize(ring_limit_mbps).median, ring_ratio);
    ring_limit =
        json{{"limit", "memcpy into a shared ring, memcpy out, writer and reader processes"},
             {"limit_MBps", statsJson(ring_limit_mbps)},
             {"limit_ratio", ring_ratio}};
  }
  return json{{"system", mode},
              {"workload", "stream"},
              {"measure", "throughput"},
              {"bytes", o.throughput_total},
              {"chunk_bytes", o.chunk},
              {"throughput_MBps", statsJson(mbps)},
              {"limit", mode == "embedded" ? "memcpy, two threads handing chunks over"
                        : mode == "kernel" ? "unix, writer and reader processes"
                                           : "tcp, writer and reader processes"},
              {"limit_MBps", statsJson(limit_mbps)},
              {"limit_ratio", ratio},
              {"limit_best_ratio", best_ratio},
              // In process a chunk's copy is shared between the receiver's thread and the
              // waiting sender's (Completion::copyTogether); the limit's reader copies alone.
              {"sender_copied_fraction", statsJson(sender_copied)},
              {"shared_copy_limit", shared_limit},
              {"ring_limit", ring_limit}};
}

Result<json> boundedRow(const StreamOptions& o, const std::string& mode) {
  const std::uint64_t expect = bench_stream_expected(o.total / 8, 0);
  RssSampler sampler(std::chrono::milliseconds(250));
  auto run = runOnce(o, mode,
                     {.producer_mode = "stream",
                      .total = o.total,
                      .memory_mib = o.memory_limit_mib,
                      .expect_hash = expect});
  const auto rss = sampler.stop();
  if (!run) {
    return std::unexpected(run.error());
  }
  // Flat: the second half of the run holds no more than the first (start-up included).
  std::uint64_t first_half = 0;
  std::uint64_t second_half = 0;
  json samples = json::array();
  for (std::size_t i = 0; i < rss.size(); ++i) {
    samples.push_back({rss[i].first, rss[i].second});
    auto& half = 2 * i < rss.size() ? first_half : second_half;
    half = std::max(half, rss[i].second);
  }
  json memory = json::object();
  for (const auto& [name, kib] : run->memory_kib) {
    memory[name] = kib * 1024;
  }
  const double mbps = static_cast<double>(o.total) / run->seconds / kMB;
  constexpr double kMiB = 1U << 20U;
  const std::string rss_said =
      rss.size() < 4
          ? "too short a run to compare RSS between halves"
          : "RSS peak " + std::to_string(std::lround(static_cast<double>(first_half) / kMiB)) +
                " MiB in the first half, " +
                std::to_string(std::lround(static_cast<double>(second_half) / kMiB)) +
                " MiB in the second";
  std::printf("%-9s %-11s %8.0f MB/s  %.1f GiB, memory capped at %u MiB, %s, hash %s checked%s\n",
              mode.c_str(), "bounded", mbps, static_cast<double>(o.total) / (1U << 30U),
              o.memory_limit_mib, rss_said.c_str(), hex(expect).c_str(),
              o.move_chunks ? ", chunks moved" : "");
  return json{{"system", mode},
              {"workload", "stream"},
              {"measure", "bounded"},
              {"producer_writes", o.move_chunks ? "move" : "copy"},
              {"bytes", o.total},
              {"chunk_bytes", o.chunk},
              {"memory_limit_mib", o.memory_limit_mib},
              {"throughput_MBps", mbps},
              {"elapsed_s", run->seconds},
              {"hash", hex(expect)},
              {"hash_checked", true},
              {"peak_linear_memory_bytes", memory},
              {"rss_bytes", samples},
              {"rss_first_half_max_bytes", first_half},
              {"rss_second_half_max_bytes", second_half},
              {"served_peak_rss_bytes", run->served_peak_rss}};
}

Result<json> pipelineRow(const StreamOptions& o, const std::string& mode) {
  const std::uint64_t expect = bench_stream_expected(o.pipeline_total / 8, o.pipeline_rounds);
  std::vector<double> streamed;
  std::vector<double> whole;
  for (int r = 0; r < o.runs; ++r) {
    for (const char* how : {"stream", "whole"}) {
      RR_ASSIGN_OR_RETURN(const Outcome run, runOnce(o, mode,
                                                     {.producer_mode = how,
                                                      .total = o.pipeline_total,
                                                      .rounds = o.pipeline_rounds,
                                                      .expect_hash = expect,
                                                      .repeat = 2}));
      (std::strcmp(how, "stream") == 0 ? streamed : whole).push_back(run.seconds);
    }
  }
  const double ratio = summarize(streamed).median / summarize(whole).median;
  std::printf(
      "%-9s %-11s %8.2f s streamed, %.2f s as whole sends: ratio %.2f (%s, %u rounds "
      "a word per stage, %d runs)\n",
      mode.c_str(), "pipeline", summarize(streamed).median, summarize(whole).median, ratio,
      std::to_string(o.pipeline_total >> 20U).append(" MiB").c_str(), o.pipeline_rounds, o.runs);
  return json{{"system", mode},
              {"workload", "stream"},
              {"measure", "pipeline"},
              {"producer_writes", o.move_chunks ? "move" : "copy"},
              {"bytes", o.pipeline_total},
              {"chunk_bytes", o.chunk},
              {"rounds", o.pipeline_rounds},
              {"streamed_s", statsJson(streamed)},
              {"whole_s", statsJson(whole)},
              {"ratio", ratio},
              {"hash", hex(expect)}};
}

}  // namespace

Result<> runStreamWorkload(const StreamOptions& o) {
  for (const auto& m : o.modes) {
    if (m != "embedded" && m != "kernel" && m != "network") {
      return fail(Errc::kInvalidArgument, "bench",
                  "the stream workload runs in embedded, kernel and network mode, not '" + m + "'");
    }
  }
  if (o.chunk == 0 || o.chunk % 8 != 0 || o.total % 8 != 0) {
    return fail(Errc::kInvalidArgument, "bench", "stream sizes must be multiples of 8 bytes");
  }
  json doc{{"version", 2},
           {"workload", "stream"},
           {"machine", {{"cpus", ::sysconf(_SC_NPROCESSORS_ONLN)}}},
           {"runs", o.runs},
           {"results", json::array()}};
  std::printf(
      "stream workload: windows from the producer's first byte to its final status (the "
      "sink has consumed everything); limits: one writer and one reader, chunk by chunk\n");
  const MachineLoad load_at_start = machineLoad();
  for (const auto& mode : o.modes) {
    RR_ASSIGN_OR_RETURN(json t, throughputRow(o, mode));
    doc["results"].push_back(std::move(t));
    RR_ASSIGN_OR_RETURN(json b, boundedRow(o, mode));
    doc["results"].push_back(std::move(b));
    RR_ASSIGN_OR_RETURN(json p, pipelineRow(o, mode));
    doc["results"].push_back(std::move(p));
    std::fflush(stdout);
  }
  doc["machine"]["load"] = toJson(load_at_start, machineLoad());
  if (!o.json_path.empty()) {
    std::ofstream out(o.json_path);
    out << doc.dump(2) << '\n';
    if (!out) {
      return fail(Errc::kInvalidArgument, "bench", "cannot write " + o.json_path);
    }
  }
  return {};
}

}  // namespace rr::bench
