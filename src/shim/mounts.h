#pragma once

// The rootfs containerd hands a shim (CreateTaskRequest.rootfs): mounted on <bundle>/rootfs at
// Create and detached at Delete.

#include <string>
#include <vector>

#include "roadrunner/base/error.h"

namespace rr::shim {

struct RootfsMount {
  std::string type;
  std::string source;
  std::vector<std::string> options;
};

/// Mounts each entry on `target` in order (bind, rbind, ro and the like become flags; the rest
/// is passed as data, e.g. overlay's lowerdir=...).
[[nodiscard]] Result<> mountRootfs(const std::vector<RootfsMount>& mounts,
                                   const std::string& target);

/// Detaches whatever is mounted on `target`; nothing mounted is fine.
void unmountRootfs(const std::string& target);

}  // namespace rr::shim
