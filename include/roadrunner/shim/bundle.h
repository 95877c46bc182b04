#pragma once

// An OCI bundle's config.json, reduced to what the shim runs: the process, the mounts that
// become WASI preopens, the annotations, the cgroup, its limits and the network namespace.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "roadrunner/base/error.h"
#include "roadrunner/shim/cgroup.h"

namespace rr::shim {

struct BundleMount {
  std::string destination;  ///< path in the container
  std::string type;         ///< "bind", "tmpfs", ...
  std::string source;       ///< host path for bind mounts
  std::vector<std::string> options;
  [[nodiscard]] bool isBind() const;
};

struct BundleSpec {
  std::vector<std::string> args;  ///< process.args; args[0] names the module inside the rootfs
  std::vector<std::string> env;   ///< process.env, "K=V"
  std::string cwd = "/";          ///< process.cwd
  bool terminal = false;
  std::string root_path = "rootfs";  ///< root.path, relative to the bundle unless absolute
  std::vector<BundleMount> mounts;
  std::map<std::string, std::string> annotations;
  std::string cgroups_path;  ///< linux.cgroupsPath ("" if none)
  Resources resources;       ///< linux.resources: the limits the shim enforces
  std::string netns_path;    ///< linux.namespaces[network].path ("" if none or a new one)
};

/// Parses config.json text. Errors (Errc::kMalformedConfig) name the culprit: not JSON, no
/// process.args, a wrong type.
[[nodiscard]] Result<BundleSpec> parseBundleConfig(std::string_view json);

/// Reads and parses `<bundle>/config.json`.
[[nodiscard]] Result<BundleSpec> loadBundle(const std::string& bundle_dir);

/// The module's host path: args[0] resolved against cwd, inside `rootfs`. Refuses paths that
/// climb out of the rootfs with "..".
[[nodiscard]] Result<std::string> modulePath(const BundleSpec& spec, const std::string& rootfs);

/// The host path behind a container path: through the bind mount with the longest matching
/// destination, else inside the rootfs.
[[nodiscard]] std::string hostPath(const BundleSpec& spec, const std::string& rootfs,
                                   const std::string& container_path);

/// linux.cgroupsPath as a path below the cgroup v2 mount, always starting with "/". The
/// cgroupfs form ("/kubepods/pod1/ID" or "kubepods/pod1/ID") is kept; the systemd form
/// "SLICE:PREFIX:NAME" expands as systemd nests slices:
/// "kubepods-besteffort-pod1.slice:cri-containerd:ID" is
/// "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-ID.scope".
/// "" stays "".
[[nodiscard]] std::string cgroupPath(const std::string& cgroups_path);

}  // namespace rr::shim
