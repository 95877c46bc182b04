#pragma once

// Measurement helpers shared by the bench's systems, physical limits and baselines.

#include <sys/time.h>

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rr::bench {

struct Stats {
  double median = 0, p90 = 0, min = 0, max = 0;
  double q1 = 0, q3 = 0;  ///< the interquartile range's ends
};

/// Median, quartiles and p90 (nearest rank), min and max of the samples; all zero when there
/// are none. With few samples the quantiles are coarse: of 5, p90 is the maximum.
[[nodiscard]] Stats summarize(std::vector<double> samples);
/// {"median", "q1", "q3", "p90", "min", "max"}: the bench JSON's `latency_s`.
[[nodiscard]] nlohmann::json toJson(const Stats& s);

/// One system's rounds, each timed from the start of the sender's send (or, for baselines, of its
/// serialization) to three points; round 0 first.
///   to_handler: the receiver holds the bytes (its handler is entered; a baseline's consumer has
///               received and decoded them);
///   consumed:   the receiver has read every byte (checked the payload's seal) and let go of it
///               (kernel-memfd: its pages detached again);
///   round:      the sender's call returned (it knows the receiver is done).
struct Windows {
  std::vector<double> to_handler, consumed, round;
};
/// Adds to a result row: `cold` (round 0's three windows) and `first_s` (its consumed window);
/// `to_handler_s`, `consumed_s` and `round_s` as statistics over the later rounds; `latency_s`
/// (the headline: consumed_s), `transfer_s` (its median) and `runs`.
void addWindows(nlohmann::json& row, const Windows& w);

/// What else the machine was doing: the 1-minute load average and the CPU time counters of
/// /proc/stat (all CPUs), of which `steal` is time a hypervisor gave to other guests.
struct MachineLoad {
  double loadavg_1m = 0;
  std::uint64_t steal = 0, total = 0;  ///< jiffies
};
[[nodiscard]] MachineLoad machineLoad();
/// {"loadavg_1m_start", "loadavg_1m_end", "steal_fraction"} between two readings: the bench
/// JSON's `machine.load`.
[[nodiscard]] nlohmann::json toJson(const MachineLoad& start, const MachineLoad& end);

/// Resets this process's peak RSS (VmHWM), so peakRss() covers what follows.
void resetPeakRss();
/// This process's peak RSS in bytes since the last resetPeakRss().
[[nodiscard]] std::uint64_t peakRss();
[[nodiscard]] double cpuSeconds(const timeval& tv);
/// VmRSS of process `pid` in bytes, from /proc/PID/status (0 if it is gone).
[[nodiscard]] std::uint64_t rssOf(const std::string& pid);

}  // namespace rr::bench
