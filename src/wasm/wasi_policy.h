#pragma once

// What a guest may do with the socket functions that WasmEdge 0.14.1 adds to
// wasi_snapshot_preview1, and with path_symlink and proc_raise (docs/security.md, "What a guest
// can import").
//
// Without grants, every sock_* function, path_symlink and proc_raise return
// __WASI_ERRNO_NOTCAPABLE (76).
// With grants (NetGrant: tcp:A.B.C.D:PORT or tcp:A.B.C.D:*):
//
//   sock_open, sock_open_v2          AF_INET + SOCK_STREAM only
//   sock_connect, sock_bind (+ _v2)  a granted IPv4 address only; the address is read from the
//                                    guest's memory (bounds-checked) and copied before use
//   sock_listen (+ _v2)              a socket whose local address is granted only, so a socket
//                                    that was never bound cannot listen on 0.0.0.0:ephemeral
//   sock_accept, recv, send, shutdown, getlocaladdr, getpeeraddr, getsockopt, setsockopt (and
//   their _v2 forms): WasmEdge's own, on the sockets the rules above let exist
//   sock_send_to, sock_recv_from, sock_getaddrinfo (+ _v2) and any other sock_* name: denied
//
// path_symlink is always denied: a link that a guest leaves in its preopened directory could
// point anywhere on the host, where host processes would follow it. proc_raise is always denied:
// WasmEdge implements it with raise(3) in the host process, so a guest could SIGKILL or SIGSTOP
// the `roadrunner` process and every function in it.
//
// How (C API only): the WASI module's exports are replaced in place before the guest is
// instantiated. WasmEdge keeps exports in a map, so WasmEdge_ModuleInstanceAddFunction with an
// existing name replaces the export, and the guest's imports bind to the replacement. An allowed
// call goes on to WasmEdge's original function through a proxy: a tiny Wasm module with its own
// one-page memory that imports the originals (imports bind when it is instantiated, before the
// exports are replaced) and exports a wrapper for each. The check copies what it validated into
// the proxy's memory and calls the wrapper on the guest's executor, with the guest's fd: both
// modules share the one WASI environment. The proxy lives in a private store, where no guest can
// import it.

#include <memory>
#include <span>
#include <vector>

#include "roadrunner/base/error.h"
#include "roadrunner/base/net_grant.h"

#include "handles.h"

namespace rr::wasm {

/// The errno of a denied call: __WASI_ERRNO_NOTCAPABLE, "capabilities insufficient".
inline constexpr std::uint32_t kWasiNotCapable = 76;

/// The socket, symlink and signal policy of one VM's WASI module.
///
/// Ownership: the replacement functions belong to the WASI module (and so to the VM); they
/// point at this policy, which owns the proxy. The policy must therefore outlive every call into
/// the VM, and be destroyed before the VM (its private store unlinks the WASI module).
/// Thread-safety: that of the VM it serves; one thread at a time.
class WasiPolicy {
 public:
  /// Replaces the functions of `wasi` (borrowed) as described above. Call after
  /// WasmEdge_ModuleInstanceInitWASI and before any module that imports it is instantiated.
  /// Errors (Errc::kInvalidModule) only if the proxy cannot be built, which means a WasmEdge
  /// whose WASI module lacks the socket functions of 0.14.
  [[nodiscard]] static Result<std::unique_ptr<WasiPolicy>> install(
      WasmEdge_ModuleInstanceContext* wasi, std::vector<NetGrant> grants);

  WasiPolicy(const WasiPolicy&) = delete;
  WasiPolicy& operator=(const WasiPolicy&) = delete;
  WasiPolicy(WasiPolicy&&) = delete;
  WasiPolicy& operator=(WasiPolicy&&) = delete;
  ~WasiPolicy();

  // The bodies of the host functions that install() puts in place, public for their one
  // trampoline in wasi_policy.cc; nothing else calls them.
  struct Call;
  /// An errno for the guest, or a WasmEdge failure to pass on (a trap in a forwarded call).
  using Outcome = std::expected<std::uint32_t, WasmEdge_Result>;
  Outcome open(const Call& call);
  Outcome connectOrBind(const Call& call, bool connect);
  Outcome listen(const Call& call);

 private:
  struct Proxy;
  explicit WasiPolicy(std::vector<NetGrant> grants);
  [[nodiscard]] Result<> startProxy(WasmEdge_ModuleInstanceContext* wasi);
  Outcome forward(const Call& call, std::size_t proxied, std::span<const WasmEdge_Value> params);

  std::vector<NetGrant> grants_;
  std::unique_ptr<Proxy> proxy_;  ///< only with grants
};

using WasiPolicyPtr = std::unique_ptr<WasiPolicy>;

}  // namespace rr::wasm
