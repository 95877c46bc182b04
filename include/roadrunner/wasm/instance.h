#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "roadrunner/base/error.h"
#include "roadrunner/base/net_grant.h"
#include "roadrunner/host/imports.h"
#include "roadrunner/wasm/engine.h"

namespace rr::wasm {

/// What a new instance sees: WASI arguments, environment and preopened directories, the
/// Roadrunner import module, and the TCP addresses it may use (docs/security.md).
struct InstanceOptions {
  std::vector<std::string> args;  ///< argv, program name first
  std::vector<std::string> env;   ///< "KEY=VALUE"
  std::vector<std::string> dirs;  ///< "GUEST:HOST" (wasmedge's --dir order)
  /// Backs the "roadrunner" imports; borrowed, must outlive the instance. Null: an instance
  /// whose sends all fail with "unknown target".
  host::Imports* imports = nullptr;
  std::uint32_t max_memory_pages = 0;  ///< 0: WasmEdge's default (4 GiB)
  /// TCP/IPv4 addresses the guest may connect to, bind on and listen on through WasmEdge's WASI
  /// socket functions. Empty: every socket function fails with __WASI_ERRNO_NOTCAPABLE.
  std::vector<NetGrant> net_grants;
};

/// One WasmEdge VM with WASI and the Roadrunner imports, instantiated from a Module.
///
/// Ownership: owns its VM and import modules. Thread-safety: none; one thread at a time (and in
/// Roadrunner, one thread for its whole life). Errors from calls carry WasmEdge's message.
class Instance {
 public:
  [[nodiscard]] static Result<Instance> create(const Engine& engine, const Module& module,
                                               InstanceOptions options);
  Instance(Instance&&) noexcept;
  Instance& operator=(Instance&&) noexcept;
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;
  ~Instance();

  [[nodiscard]] bool hasExport(std::string_view name) const;
  /// Whether the module exports a memory under the name the host looks for ("memory").
  [[nodiscard]] bool hasMemory() const;

  /// Runs `_start` and returns the WASI exit code (proc_exit's, or 0 on return).
  [[nodiscard]] Result<int> runStart();

  /// Calls an export that takes and returns only i32s, on the calling thread. A trap (native
  /// stack exhaustion included) is Errc::kTrap; proc_exit is Errc::kExited. With a time limit
  /// (> 0 ms) the engine's watchdog stops the call when the limit passes, also while the guest
  /// is blocked in a host call (Errc::kTimedOut). That needs the interpreter or interruptible AOT
  /// code. After any error the instance is unfit for further calls.
  [[nodiscard]] Result<std::vector<std::uint32_t>> call(std::string_view name,
                                                        std::span<const std::uint32_t> args,
                                                        std::uint32_t limit_ms = 0);

  /// The whole linear memory at its current size. Valid until the guest runs again.
  [[nodiscard]] std::span<std::byte> memory() const;
  /// Whether any byte of [offset, offset + len) of the memory lies in a shared buffer (the
  /// `share_pages` import): the host must not map other pages over it.
  [[nodiscard]] bool sharesPages(std::uint64_t offset, std::uint64_t len) const noexcept;

  [[nodiscard]] const std::string& path() const noexcept;

 private:
  struct State;
  explicit Instance(std::unique_ptr<State> state);
  [[nodiscard]] Result<> makeStopLever();
  std::unique_ptr<State> state_;
};

}  // namespace rr::wasm
