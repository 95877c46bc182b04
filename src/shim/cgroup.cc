#include "roadrunner/shim/cgroup.h"

#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "roadrunner/base/file.h"
#include "roadrunner/base/try.h"

namespace rr::shim {
namespace {

constexpr long kCgroup2Magic = 0x63677270;  // CGROUP2_SUPER_MAGIC, linux/magic.h
// v1's "no limit" reads back as the largest page-aligned int64.
constexpr std::uint64_t kV1Unlimited = 0x7FFFFFFFFFFFF000ULL;
constexpr std::uint64_t kDefaultCpuPeriodUs = 100'000;

Result<std::string> readText(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return failErrno("read", errno, path);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::uint64_t toU64(std::string_view text) {
  std::uint64_t value = 0;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

/// A file of one number; "max" (v2's no limit) and a missing file read as 0.
std::uint64_t readU64(const std::string& path) {
  auto text = readText(path);
  return text ? toU64(*text) : 0;
}

/// A file of "key value" lines (memory.stat, cpu.stat, cpuacct.stat).
std::map<std::string, std::uint64_t> readKeyed(const std::string& path) {
  std::map<std::string, std::uint64_t> values;
  auto text = readText(path);
  if (!text) {
    return values;
  }
  std::istringstream lines(*text);
  std::string key;
  std::uint64_t value = 0;
  while (lines >> key >> value) {
    values[key] = value;
  }
  return values;
}

Result<void> writeText(const std::string& path, const std::string& value) {
  std::ofstream out(path);
  out << value << std::flush;
  if (!out) {
    return failErrno("write", errno, path + " <- " + value);
  }
  return {};
}

/// cpu.shares (2-262144) as cgroup v2's cpu.weight (1-10000), as runc and crun convert it.
std::uint64_t weightFromShares(std::uint64_t shares) {
  shares = std::clamp<std::uint64_t>(shares, 2, 262'144);
  return 1 + ((shares - 2) * 9'999) / 262'142;
}

Result<void> applyV1(const std::string& memory, const std::string& cpu, const Resources& r) {
  if (r.memory_limit && !memory.empty()) {
    RR_RETURN_IF_ERROR(writeText(memory + "/memory.limit_in_bytes",
                                 *r.memory_limit > 0 ? std::to_string(*r.memory_limit) : "-1"));
  }
  if (cpu.empty()) {
    return {};
  }
  if (r.cpu_period) {
    RR_RETURN_IF_ERROR(writeText(cpu + "/cpu.cfs_period_us", std::to_string(*r.cpu_period)));
  }
  if (r.cpu_quota) {
    RR_RETURN_IF_ERROR(writeText(cpu + "/cpu.cfs_quota_us",
                                 *r.cpu_quota > 0 ? std::to_string(*r.cpu_quota) : "-1"));
  }
  if (r.cpu_shares) {
    RR_RETURN_IF_ERROR(writeText(cpu + "/cpu.shares", std::to_string(*r.cpu_shares)));
  }
  return {};
}

Result<void> applyV2(const std::string& dir, const Resources& r) {
  if (r.memory_limit) {
    RR_RETURN_IF_ERROR(writeText(dir + "/memory.max",
                                 *r.memory_limit > 0 ? std::to_string(*r.memory_limit) : "max"));
  }
  if (r.cpu_quota || r.cpu_period) {
    const std::uint64_t period = r.cpu_period.value_or(kDefaultCpuPeriodUs);
    const std::string quota =
        r.cpu_quota && *r.cpu_quota > 0 ? std::to_string(*r.cpu_quota) : std::string("max");
    RR_RETURN_IF_ERROR(writeText(dir + "/cpu.max", quota + " " + std::to_string(period)));
  }
  if (r.cpu_shares) {
    RR_RETURN_IF_ERROR(
        writeText(dir + "/cpu.weight", std::to_string(weightFromShares(*r.cpu_shares))));
  }
  return {};
}

CgroupStats statsV1(const std::string& memory, const std::string& cpuacct,
                    const std::string& pids) {
  CgroupStats s;
  if (!cpuacct.empty()) {
    s.cpu_usage_ns = readU64(cpuacct + "/cpuacct.usage");
    const auto ticks = readKeyed(cpuacct + "/cpuacct.stat");
    const auto hz = static_cast<std::uint64_t>(std::max(::sysconf(_SC_CLK_TCK), 1L));
    s.cpu_user_ns = (ticks.contains("user") ? ticks.at("user") : 0) * 1'000'000'000ULL / hz;
    s.cpu_system_ns = (ticks.contains("system") ? ticks.at("system") : 0) * 1'000'000'000ULL / hz;
  }
  if (!memory.empty()) {
    s.memory_usage = readU64(memory + "/memory.usage_in_bytes");
    const std::uint64_t limit = readU64(memory + "/memory.limit_in_bytes");
    s.memory_limit = limit >= kV1Unlimited ? 0 : limit;
    auto stat = readKeyed(memory + "/memory.stat");
    s.memory_inactive_file = stat["total_inactive_file"];
    s.memory_rss = stat["total_rss"];
    s.memory_cache = stat["total_cache"];
    s.page_faults = stat["total_pgfault"];
    s.major_page_faults = stat["total_pgmajfault"];
  }
  if (!pids.empty()) {
    s.pids = readU64(pids + "/pids.current");
  }
  return s;
}

CgroupStats statsV2(const std::string& dir) {
  CgroupStats s;
  auto cpu = readKeyed(dir + "/cpu.stat");
  s.cpu_usage_ns = cpu["usage_usec"] * 1'000;
  s.cpu_user_ns = cpu["user_usec"] * 1'000;
  s.cpu_system_ns = cpu["system_usec"] * 1'000;
  s.memory_usage = readU64(dir + "/memory.current");
  s.memory_limit = readU64(dir + "/memory.max");
  auto memory = readKeyed(dir + "/memory.stat");
  s.memory_inactive_file = memory["inactive_file"];
  s.memory_rss = memory["anon"];
  s.memory_cache = memory["file"];
  s.page_faults = memory["pgfault"];
  s.major_page_faults = memory["pgmajfault"];
  s.pids = readU64(dir + "/pids.current");
  return s;
}

template <typename T>
Result<std::optional<T>> optionalNumber(const nlohmann::json& object, const char* key,
                                        const char* where) {
  if (!object.is_object() || !object.contains(key) || object.at(key).is_null()) {
    return std::optional<T>();
  }
  const auto& value = object.at(key);
  if (!value.is_number_integer()) {
    return fail(Errc::kMalformedConfig, "linux.resources",
                std::string(where) + "." + key + " must be an integer");
  }
  return std::optional<T>(value.get<T>());
}

}  // namespace

bool Resources::empty() const { return !memory_limit && !cpu_quota && !cpu_period && !cpu_shares; }

std::uint32_t linearMemoryCapMib(const Resources& resources) {
  if (!resources.memory_limit || *resources.memory_limit <= 0) {
    return 0;
  }
  const std::int64_t limit_mib = *resources.memory_limit / (std::int64_t{1024} * 1024);
  const std::int64_t cap = std::max(limit_mib - kRuntimeReserveMib, limit_mib / 2);
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(cap, 1, 4096));
}

Result<Resources> parseResources(std::string_view json) {
  const auto doc = nlohmann::json::parse(json, nullptr, false);
  if (doc.is_discarded() || !(doc.is_object() || doc.is_null())) {
    return fail(Errc::kMalformedConfig, "linux.resources", "not a JSON object");
  }
  Resources r;
  if (doc.is_null()) {
    return r;
  }
  const auto memory = doc.value("memory", nlohmann::json());
  const auto cpu = doc.value("cpu", nlohmann::json());
  RR_ASSIGN_OR_RETURN(r.memory_limit, optionalNumber<std::int64_t>(memory, "limit", "memory"));
  RR_ASSIGN_OR_RETURN(r.cpu_quota, optionalNumber<std::int64_t>(cpu, "quota", "cpu"));
  RR_ASSIGN_OR_RETURN(r.cpu_period, optionalNumber<std::uint64_t>(cpu, "period", "cpu"));
  RR_ASSIGN_OR_RETURN(r.cpu_shares, optionalNumber<std::uint64_t>(cpu, "shares", "cpu"));
  return r;
}

Result<Cgroup::Version> Cgroup::detect(const std::string& mount) {
  struct statfs fs{};
  if (::statfs(mount.c_str(), &fs) == 0 && fs.f_type == kCgroup2Magic) {
    return Version::kV2;
  }
  if (std::filesystem::exists(mount + "/memory/memory.limit_in_bytes")) {
    return Version::kV1;
  }
  return fail(Errc::kNotFound, "cgroup",
              "neither cgroup v2 nor v1's memory controller at " + mount);
}

Cgroup::Cgroup(Version version, std::vector<std::string> dirs, std::string memory, std::string cpu,
               std::string cpuacct, std::string pids)
    : version_(version),
      dirs_(std::move(dirs)),
      memory_(std::move(memory)),
      cpu_(std::move(cpu)),
      cpuacct_(std::move(cpuacct)),
      pids_(std::move(pids)) {}

Result<Cgroup> Cgroup::create(const std::string& path, const std::string& mount) {
  RR_ASSIGN_OR_RETURN(const Version version, detect(mount));
  auto make = [](const std::string& dir) -> Result<void> {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return failErrno("mkdir", ec.value(), dir);
    }
    return {};
  };
  if (version == Version::kV2) {
    const std::string dir = mount + path;
    RR_RETURN_IF_ERROR(make(dir));
    return Cgroup(version, {dir}, "", "", "", "");
  }
  // v1: one hierarchy per controller. cpu and cpuacct are often one mount under two names, so
  // a directory is joined and removed once however many controllers share it.
  std::vector<std::string> dirs;
  std::map<std::string, std::string> by_controller;
  for (const char* controller : {"memory", "cpu", "cpuacct", "pids"}) {
    const std::string base = mount + "/" + controller;
    if (!std::filesystem::is_directory(base)) {
      continue;
    }
    const std::string dir = base + path;
    RR_RETURN_IF_ERROR(make(dir));
    by_controller[controller] = dir;
    std::error_code ec;
    const auto canonical = std::filesystem::canonical(dir, ec).string();
    const bool seen = std::ranges::any_of(dirs, [&](const std::string& d) {
      std::error_code e;
      return std::filesystem::canonical(d, e).string() == canonical;
    });
    if (!seen) {
      dirs.push_back(dir);
    }
  }
  return Cgroup(version, std::move(dirs), by_controller["memory"], by_controller["cpu"],
                by_controller["cpuacct"], by_controller["pids"]);
}

Result<void> Cgroup::join(pid_t pid) const {
  for (const auto& dir : dirs_) {
    RR_RETURN_IF_ERROR(writeText(dir + "/cgroup.procs", std::to_string(pid)));
  }
  return {};
}

Result<void> Cgroup::apply(const Resources& resources) const {
  return version_ == Version::kV2 ? applyV2(dirs_.front(), resources)
                                  : applyV1(memory_, cpu_, resources);
}

Result<CgroupStats> Cgroup::stats() const {
  return version_ == Version::kV2 ? statsV2(dirs_.front()) : statsV1(memory_, cpuacct_, pids_);
}

void Cgroup::remove() const {
  for (const auto& dir : dirs_) {
    ::rmdir(dir.c_str());  // empty now; a cgroup someone else still uses stays
  }
}

}  // namespace rr::shim
