#pragma once

// What the shim runs for a task, behind an interface (after runwasi's Engine): the shim plumbing
// hands it a bundle and the resolved wiring and gets back a command line. The implementation,
// CliEngine, runs the function as a child `roadrunner` process, so the shim never touches
// WasmEdge.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "roadrunner/base/error.h"
#include "roadrunner/base/unix_address.h"
#include "roadrunner/shim/annotations.h"
#include "roadrunner/shim/bundle.h"

namespace rr::shim {

/// A target after the registry lookup.
struct ResolvedTarget {
  std::string name;
  std::string address;  ///< "unix:PATH" (kernel mode) or "tcp:HOST:PORT" (network mode)
  [[nodiscard]] bool kernel() const { return parseUnixAddress(address).has_value(); }
};

struct TaskContext {
  std::string id;
  std::string bundle_dir;
  std::string rootfs;  ///< host path of the mounted rootfs
  /// The module's host path when the image carries it as a layer (a Wasm OCI artifact); ""
  /// means spec.args[0] inside the rootfs.
  std::string module_path;
  BundleSpec spec;
  Wiring wiring;
  std::vector<ResolvedTarget> targets;
  std::string listen_address;    ///< receivers: "unix:PATH" or "tcp:HOST:PORT"
  std::string secret_host_path;  ///< host path of the secret, "" if none
};

struct Launch {
  std::vector<std::string> argv;  ///< argv[0] is the executable's path
  bool ready_fd = false;          ///< the child reports "ready ADDRESS" on fd 3
  std::string workflow_path;      ///< a file to write before the start, "" if none
  std::string workflow_json;
  std::vector<std::string> make_dirs;  ///< host directories to create first (tmpfs mounts)
};

class Engine {
 public:
  virtual ~Engine() = default;
  [[nodiscard]] virtual std::string_view name() const = 0;
  /// Whether the bundle's module exists and is WebAssembly. Errors: Errc::kNotFound,
  /// Errc::kNotWasm, naming the path.
  [[nodiscard]] virtual Result<> canHandle(const TaskContext& ctx) const = 0;
  /// The command that runs the task.
  [[nodiscard]] virtual Result<Launch> plan(const TaskContext& ctx) const = 0;
};

/// Runs `roadrunner run|serve|up` from `roadrunner_path`.
[[nodiscard]] std::unique_ptr<Engine> makeCliEngine(std::string roadrunner_path);

}  // namespace rr::shim
