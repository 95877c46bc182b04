#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "roadrunner/base/error.h"
#include "roadrunner/base/sha256.h"

namespace rr::wasm {

class Watchdog;

/// How guests are executed.
struct EngineOptions {
  bool interpreter = false;  ///< true: WasmEdge's interpreter; false: AOT through the cache
  std::string cache_dir;     ///< AOT cache; empty: $RR_CACHE_DIR or ~/.cache/roadrunner/aot
  int opt_level = 2;         ///< AOT optimisation level, 0..3
  /// AOT code that checks for cancellation, so calls with a time limit can be stopped (costs
  /// 4-13 % on tight loops). Default AOT code cannot be interrupted at all.
  bool interruptible = false;
};

/// A module ready to instantiate: checked to be Wasm, validated, and (AOT) compiled.
/// A plain value; instances made from it do not borrow it.
struct Module {
  std::string path;           ///< the .wasm the user named
  std::string loadable_path;  ///< what WasmEdge loads: the cached native object, or `path`
  bool aot = false;
  bool cache_hit = false;   ///< AOT: the compiled object came from the cache
  bool cancellable = true;  ///< calls can be stopped (interpreter, or interruptible AOT)
};

/// Process-wide execution settings and the AOT cache. Creating an AOT engine also parks one AOT
/// call for the life of the process (see signal_keeper.h), which keeps WasmEdge 0.14's signal
/// handlers installed, so a trap on one thread cannot race another thread's AOT exit, and makes
/// those handlers run on an alternate stack, so a guest that exhausts its thread's native stack
/// traps instead of killing the process (see guest_signals.h).
///
/// Thread-safety: `prepare` may be called from several threads; two processes may fill the
/// same cache at once (entries are written atomically).
class Engine {
 public:
  [[nodiscard]] static Result<Engine> create(EngineOptions options);

  /// Reads, checks and (AOT) compiles `path`, or finds it in the cache.
  /// Errors name the path: missing file, not Wasm, invalid module, unwritable cache.
  [[nodiscard]] Result<Module> prepare(const std::string& path) const;

  [[nodiscard]] const EngineOptions& options() const noexcept { return options_; }

  /// Stops guest calls past their time limit; shared by every instance made from this engine.
  /// Null unless its calls can be stopped (interpreter or interruptible AOT).
  [[nodiscard]] const std::shared_ptr<Watchdog>& watchdog() const noexcept { return watchdog_; }

 private:
  Engine(EngineOptions options, std::shared_ptr<Watchdog> watchdog)
      : options_(std::move(options)), watchdog_(std::move(watchdog)) {}
  EngineOptions options_;
  std::shared_ptr<Watchdog> watchdog_;
};

/// The default AOT cache directory: $RR_CACHE_DIR/aot, else $XDG_CACHE_HOME/roadrunner/aot,
/// else $HOME/.cache/roadrunner/aot.
[[nodiscard]] std::string defaultCacheDir();

/// WasmEdge's version string, e.g. "0.14.1".
[[nodiscard]] const char* wasmedgeVersion() noexcept;

/// Sets WasmEdge's own logging to errors only (it logs to stdout by default). Idempotent.
void quietWasmEdgeLogs() noexcept;

}  // namespace rr::wasm
