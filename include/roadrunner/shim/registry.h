#pragma once

// The per-node registry of receivers: `<root>/registry/<namespace>/<name>` holds the address a
// receiver listens on ("unix:PATH" or "tcp:HOST:PORT") and the id of the container that owns
// the entry. A lookup by name is one open(2); nothing walks bundles.

#include <functional>
#include <optional>
#include <string>

#include "roadrunner/base/error.h"

namespace rr::shim {

struct RegistryEntry {
  std::string address;
  std::string owner;  ///< container id
};

class Registry {
 public:
  /// Whether something accepts connections on the UNIX socket at a path. The shim executable
  /// passes `sys::connectUnix`; this library links only `base`.
  using UnixAlive = std::function<bool(const std::string& path)>;

  /// `root` is the shim's state root (RR_SHIM_ROOT, default /run/roadrunner).
  Registry(std::string root, std::string ns, UnixAlive unix_alive);

  [[nodiscard]] std::string entryPath(const std::string& name) const;
  /// Where a receiver named `name` puts its UNIX socket.
  [[nodiscard]] std::string socketPath(const std::string& name) const;

  /// nullopt if nothing is registered under `name`.
  [[nodiscard]] Result<std::optional<RegistryEntry>> lookup(const std::string& name) const;

  /// Registers `name`. An entry of another owner whose UNIX socket no longer accepts
  /// connections is stale and replaced; a live one is an error (EEXIST).
  [[nodiscard]] Result<> add(const std::string& name, const RegistryEntry& entry) const;

  /// Removes `name` if `owner` owns it; a missing entry is fine.
  [[nodiscard]] Result<> remove(const std::string& name, const std::string& owner) const;

 private:
  std::string root_;
  std::string ns_;
  UnixAlive unix_alive_;
};

/// The state root: $RR_SHIM_ROOT, else /run/roadrunner.
[[nodiscard]] std::string shimRoot();

}  // namespace rr::shim
