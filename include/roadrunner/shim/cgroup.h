#pragma once

// A function's cgroup, v1 or v2: created from the OCI spec's linux.cgroupsPath, joined by the
// function before it runs, limited by linux.resources (and containerd's Update), read for
// containerd's Stats, removed at Delete. No policy: the task service decides what to do when a
// cgroup cannot be made. @see https://docs.kernel.org/admin-guide/cgroup-v2.html and
// https://docs.kernel.org/admin-guide/cgroup-v1/

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "roadrunner/base/error.h"

namespace rr::shim {

/// linux.resources, reduced to what the shim enforces (the OCI runtime spec's names and units).
struct Resources {
  std::optional<std::int64_t> memory_limit;  ///< memory.limit, bytes; <= 0: unlimited
  std::optional<std::int64_t> cpu_quota;     ///< cpu.quota, µs per period; <= 0: unlimited
  std::optional<std::uint64_t> cpu_period;   ///< cpu.period, µs
  std::optional<std::uint64_t> cpu_shares;   ///< cpu.shares (v1's weight, 2-262144)
  [[nodiscard]] bool empty() const;
};

/// The guest's linear-memory cap, in MiB, for a container memory limit: the limit less
/// kRuntimeReserveMib for the runtime itself (WasmEdge, the compiled code, the host's buffers),
/// or half the limit when that is more, 1 to 4096. 0: no limit set, no cap. A guest then sees
/// memory.grow fail at the cap instead of the cgroup killing its process.
inline constexpr std::int64_t kRuntimeReserveMib = 64;
[[nodiscard]] std::uint32_t linearMemoryCapMib(const Resources& resources);

/// Parses an OCI LinuxResources object (config.json's linux.resources, or the JSON containerd
/// sends with UpdateTaskRequest). Keys the shim does not enforce are ignored; a wrong type is
/// Errc::kMalformedConfig.
[[nodiscard]] Result<Resources> parseResources(std::string_view json);

/// What containerd's Stats reports, in the kernel's units made uniform.
struct CgroupStats {
  std::uint64_t cpu_usage_ns = 0;
  std::uint64_t cpu_user_ns = 0;
  std::uint64_t cpu_system_ns = 0;
  std::uint64_t memory_usage = 0;          ///< bytes charged, page cache included
  std::uint64_t memory_limit = 0;          ///< 0: none
  std::uint64_t memory_inactive_file = 0;  ///< usage minus this is the working set
  std::uint64_t memory_rss = 0;            ///< anonymous memory
  std::uint64_t memory_cache = 0;          ///< file-backed memory
  std::uint64_t page_faults = 0;
  std::uint64_t major_page_faults = 0;
  std::uint64_t pids = 0;
};

class Cgroup {
 public:
  enum class Version { kV1, kV2 };

  /// The version mounted at `mount` (cgroup2 there: v2; a tmpfs with a memory controller
  /// directory: v1), or kNotFound.
  [[nodiscard]] static Result<Version> detect(const std::string& mount = "/sys/fs/cgroup");

  /// Makes the cgroup `path` ("/kubepods/pod1/ID", cgroupPath's form) under `mount`: one
  /// directory for v2, one per controller the shim uses for v1 (memory, cpu, cpuacct, pids;
  /// a controller that is not mounted is left out).
  [[nodiscard]] static Result<Cgroup> create(const std::string& path,
                                             const std::string& mount = "/sys/fs/cgroup");

  /// Moves `pid` (a process that has not started the function yet) into the cgroup.
  [[nodiscard]] Result<void> join(pid_t pid) const;
  /// Writes the limits that `resources` sets; unset fields stay as they are.
  [[nodiscard]] Result<void> apply(const Resources& resources) const;
  [[nodiscard]] Result<CgroupStats> stats() const;
  /// Removes the directories (each must be empty by then; one still in use stays).
  void remove() const;

  [[nodiscard]] Version version() const { return version_; }
  /// The directories: v2's one, or v1's per controller.
  [[nodiscard]] const std::vector<std::string>& dirs() const { return dirs_; }

 private:
  Cgroup(Version version, std::vector<std::string> dirs, std::string memory, std::string cpu,
         std::string cpuacct, std::string pids);
  Version version_;
  std::vector<std::string> dirs_;
  std::string memory_, cpu_, cpuacct_, pids_;  // v1: each controller's directory ("" if none)
};

}  // namespace rr::shim
