#pragma once

// Measurement helpers shared by the bench's systems, physical limits and baselines.

#include <sys/time.h>

#include <cstdint>
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

}  // namespace rr::bench
