#include "soak.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "roadrunner/base/try.h"
#include "roadrunner/runtime/runner.h"

#include "../harness/measure.h"

namespace rr::bench {
namespace {

struct Sample {
  std::uint64_t rss = 0;
  std::uint64_t fds = 0;
  std::uint64_t maps = 0;  ///< lines of /proc/PID/maps: the process's mappings
};

std::uint64_t fdsOf(const std::string& pid) {
  DIR* d = ::opendir(("/proc/" + pid + "/fd").c_str());
  if (d == nullptr) {
    return 0;
  }
  std::uint64_t n = 0;
  while (const dirent* e = ::readdir(d)) {
    n += e->d_name[0] != '.' ? 1 : 0;
  }
  ::closedir(d);
  return n;
}

std::uint64_t mapsOf(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/maps");
  std::uint64_t n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
  }
  return n;
}

/// A run's early and late readings, from windows of its samples that skip start-up and
/// shutdown: 25-50 % and 75-95 % of the run. A transfer in flight moves every reading: a
/// received memfd is open and mapped only while its transfer lasts, and a moved payload is
/// resident in the sender while it is filled, then in the receiver, then in neither, so single
/// samples read up to a payload more or less at random. Descriptors and mappings compare the
/// early window's most with the late window's fewest: one in flight is not a leak, one left
/// behind per transfer is. Memory compares the two windows' fewest, the floor between payloads,
/// which a leak raises and the phase of a sample does not.
struct Readings {
  Sample early;
  Sample late;
};

Readings readings(const std::vector<Sample>& samples) {
  const std::size_t n = samples.size();
  const auto window = [&](std::size_t from_pct, std::size_t to_pct) {
    const std::size_t from = n * from_pct / 100;
    const std::size_t to = std::max(n * to_pct / 100, from + 1);
    Sample fewest = samples[from];
    Sample most = samples[from];
    for (std::size_t i = from; i < to; ++i) {
      fewest = {.rss = std::min(fewest.rss, samples[i].rss),
                .fds = std::min(fewest.fds, samples[i].fds),
                .maps = std::min(fewest.maps, samples[i].maps)};
      most = {.rss = std::max(most.rss, samples[i].rss),
              .fds = std::max(most.fds, samples[i].fds),
              .maps = std::max(most.maps, samples[i].maps)};
    }
    return std::pair{fewest, most};
  };
  if (n < 5) {
    return {};
  }
  const auto [early_fewest, early_most] = window(25, 50);
  const auto [late_fewest, late_most] = window(75, 95);
  return {.early = {.rss = early_fewest.rss, .fds = early_most.fds, .maps = early_most.maps},
          .late = late_fewest};
}

// This process and its children (the serving processes of kernel and network edges).
Sample sample() {
  Sample s{.rss = rssOf("self"), .fds = fdsOf("self"), .maps = mapsOf("self")};
  DIR* tasks = ::opendir("/proc/self/task");
  while (tasks != nullptr) {
    const dirent* t = ::readdir(tasks);
    if (t == nullptr) {
      break;
    }
    if (t->d_name[0] == '.') {
      continue;
    }
    std::ifstream children(std::string("/proc/self/task/") + t->d_name + "/children");
    std::string pid;
    while (children >> pid) {
      s.rss += rssOf(pid);
      s.fds += fdsOf(pid);
      s.maps += mapsOf(pid);
    }
  }
  if (tasks != nullptr) {
    ::closedir(tasks);
  }
  return s;
}

}  // namespace

Result<> soak(const SoakOptions& o) {
  bool ok = true;
  bool short_run = false;  // a row with too few samples to judge
  std::printf("%-13s %9s %9s %8s %12s %12s %8s %8s %9s %9s %8s\n", "system", "transfers", "size",
              "samples", "RSS early", "RSS end", "fds early", "fds end", "maps early", "maps end",
              "result");
  for (const auto& system : o.systems) {
    // Small and large transfers in separate runs, so each run's samples compare like with like
    // (the first large send grows both linear memories and makes a splice pipe once).
    for (const bool large : {false, true}) {
      const std::uint64_t count = large ? o.large : o.small;
      const std::uint64_t size = large ? o.large_size : 1024;
      if (count == 0) {
        continue;
      }
      const bool move = system == "embedded-move";
      const runtime::EdgeMode mode = system == "embedded" || move ? runtime::EdgeMode::kEmbedded
                                     : system == "network"        ? runtime::EdgeMode::kNetwork
                                                                  : runtime::EdgeMode::kKernel;
      std::vector<std::string> sender_args = {"0", std::to_string(count), std::to_string(size)};
      if (move) {
        sender_args.emplace_back("move");
      }
      const runtime::Workflow w{.name = "soak-" + system,
                                .functions = {{.name = "sender",
                                               .wasm = o.guest_dir + "/bench_soak_sender.wasm",
                                               .args = sender_args},
                                              {.name = "receiver",
                                               .wasm = o.guest_dir + "/bench_receiver.wasm",
                                               .env = {"BENCH_NO_CHECK=1"}}},
                                .edges = {{.from = "sender", .to = "receiver", .mode = mode}}};
      // A short unsampled run first: AOT compilation and the allocators' first growth belong
      // to start-up, not to the steady state the soak watches.
      runtime::Workflow warm_up = w;
      warm_up.functions[0].args[1] = std::to_string(std::min<std::uint64_t>(count, 100));
      if (auto r = runtime::runWorkflow(
              warm_up, {.prefix_output = false,
                        .roadrunner_exe = o.roadrunner_exe,
                        .memfd_threshold = system == "kernel-memfd" ? 0 : UINT64_MAX});
          !r) {
        return std::unexpected(r.error());
      }
      // Samples are taken while the sender runs, not while the serving processes start or
      // stop: each grows or shrinks the process tree by tens of MiB, and at a few microseconds
      // a round a short soak's sends take less time than either.
      std::atomic<bool> started{false};
      std::atomic<bool> done{false};
      std::vector<Sample> samples;
      std::thread sampler([&] {
        while (!done) {
          if (!started) {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
            continue;
          }
          samples.push_back(sample());
          // The sampling period: short enough that 20,000 in-process 1 KiB sends (about 45 ms
          // since a round takes 2.2 us) still give the windows a dozen samples.
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
      });
      auto report =
          runtime::runWorkflow(w, {.prefix_output = false,
                                   .roadrunner_exe = o.roadrunner_exe,
                                   .memfd_threshold = system == "kernel-memfd" ? 0 : UINT64_MAX,
                                   .on_commands_starting = [&] { started = true; },
                                   .on_commands_ended = [&] { done = true; }});
      done = true;  // also when the run failed to start
      sampler.join();
      if (!report) {
        return std::unexpected(report.error());
      }
      // A move soak that copied would soak the copy path: every large payload's pages must
      // have moved, as the host counted them.
      const bool sender_ok = !report->instances.empty() && report->instances[0].exit_code == 0;
      const bool moved = !move || !large ||
                         (sender_ok && report->instances[0].moved_bytes == count * size &&
                          report->instances[0].copies == 0);
      const auto [early, late] = readings(samples);
      const bool flat = late.fds <= early.fds && late.maps <= early.maps &&
                        static_cast<double>(late.rss) <= static_cast<double>(early.rss) * 1.10;
      const bool sampled = samples.size() >= 5;
      const bool pass = sender_ok && moved && sampled && flat;
      ok = ok && pass;
      short_run = short_run || (sender_ok && !sampled);
      const std::string size_text = large ? std::to_string(size >> 20).append(" MiB") : "1 KiB";
      const char* verdict = pass         ? "flat"
                            : !sender_ok ? "FAILED"
                            : !moved     ? "COPIED"
                            : !sampled   ? "SHORT"
                                         : "GREW";
      if (sampled) {
        std::printf(
            "%-13s %9llu %9s %8zu %8.1f MiB %8.1f MiB %8llu %8llu %9llu %9llu %8s\n",
            system.c_str(), static_cast<unsigned long long>(count), size_text.c_str(),
            samples.size(), static_cast<double>(early.rss) / (1 << 20),
            static_cast<double>(late.rss) / (1 << 20), static_cast<unsigned long long>(early.fds),
            static_cast<unsigned long long>(late.fds), static_cast<unsigned long long>(early.maps),
            static_cast<unsigned long long>(late.maps), verdict);
      } else {
        std::printf("%-13s %9llu %9s %8zu %12s %12s %8s %8s %9s %9s %8s\n", system.c_str(),
                    static_cast<unsigned long long>(count), size_text.c_str(), samples.size(), "-",
                    "-", "-", "-", "-", "-", verdict);
      }
      std::fflush(stdout);
    }
  }
  if (short_run) {
    return fail(Errc::kInvalidArgument, "soak",
                "a run (SHORT) ended before five samples, 2 ms apart, could show whether memory, "
                "descriptors or mappings grow; give it more transfers");
  }
  if (!ok) {
    return fail(Errc::kInvalidArgument, "soak",
                "a transfer failed (or, moving, was copied), or memory, descriptors or "
                "mappings grew");
  }
  return {};
}

}  // namespace rr::bench
