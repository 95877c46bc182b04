#include "measure.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>

namespace rr::bench {

Stats summarize(std::vector<double> samples) {
  if (samples.empty()) {
    return {};
  }
  std::ranges::sort(samples);
  const auto at = [&](double q) {
    return samples[std::min(samples.size() - 1, static_cast<std::size_t>(std::lround(
                                                    q * static_cast<double>(samples.size() - 1))))];
  };
  return {.median = at(0.5),
          .p90 = at(0.9),
          .min = samples.front(),
          .max = samples.back(),
          .q1 = at(0.25),
          .q3 = at(0.75)};
}

nlohmann::json toJson(const Stats& s) {
  return {{"median", s.median}, {"q1", s.q1},   {"q3", s.q3},
          {"p90", s.p90},       {"min", s.min}, {"max", s.max}};
}

namespace {

std::vector<double> after(const std::vector<double>& v, std::size_t skip) {
  return v.size() > skip
             ? std::vector<double>(v.begin() + static_cast<std::ptrdiff_t>(skip), v.end())
             : std::vector<double>{};
}

double front(const std::vector<double>& v) { return v.empty() ? 0.0 : v.front(); }

}  // namespace

void addWindows(nlohmann::json& row, const Windows& w) {
  const Stats consumed = summarize(after(w.consumed, 1));
  row["cold"] = {{"to_handler_s", front(w.to_handler)},
                 {"consumed_s", front(w.consumed)},
                 {"round_s", front(w.round)}};
  row["first_s"] = front(w.consumed);
  row["to_handler_s"] = toJson(summarize(after(w.to_handler, 1)));
  row["consumed_s"] = toJson(consumed);
  row["round_s"] = toJson(summarize(after(w.round, 1)));
  row["latency_s"] = toJson(consumed);
  row["transfer_s"] = consumed.median;
  row["runs"] = w.consumed.size() > 0 ? w.consumed.size() - 1 : 0;
}

MachineLoad machineLoad() {
  MachineLoad m;
  std::ifstream("/proc/loadavg") >> m.loadavg_1m;
  std::ifstream stat("/proc/stat");
  std::string cpu;
  stat >> cpu;  // "cpu": user nice system idle iowait irq softirq steal ...
  for (int field = 0; field < 8 && stat; ++field) {
    std::uint64_t jiffies = 0;
    stat >> jiffies;
    m.total += jiffies;
    if (field == 7) {
      m.steal = jiffies;
    }
  }
  return m;
}

nlohmann::json toJson(const MachineLoad& start, const MachineLoad& end) {
  const std::uint64_t total = end.total - start.total;
  return {{"loadavg_1m_start", start.loadavg_1m},
          {"loadavg_1m_end", end.loadavg_1m},
          {"steal_fraction",
           total > 0 ? static_cast<double>(end.steal - start.steal) / static_cast<double>(total)
                     : 0.0}};
}

void resetPeakRss() {
  std::ofstream("/proc/self/clear_refs") << "5";  // resets VmHWM
}

std::uint64_t peakRss() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("VmHWM:")) {
      return std::stoull(line.substr(6)) * 1024;
    }
  }
  return 0;
}

double cpuSeconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
}

std::uint64_t rssOf(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("VmRSS:")) {
      return std::stoull(line.substr(6)) * 1024;
    }
  }
  return 0;
}

}  // namespace rr::bench
