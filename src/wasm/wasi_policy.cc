#include "wasi_policy.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <string>
#include <string_view>

#include "roadrunner/base/log.h"
#include "roadrunner/base/try.h"

namespace rr::wasm {
namespace {

// WASI values (wasi/api.h); WasmEdge 0.14.1 uses the same numbers.
constexpr std::uint32_t kErrnoFault = 21;
constexpr std::uint32_t kErrnoInval = 28;
constexpr std::uint32_t kFamilyInet4 = 1;
constexpr std::uint32_t kSockStream = 2;
// sock_getlocaladdr (v1) reports an IPv4 socket as 4, not as kFamilyInet4 (a WasmEdge quirk
// it keeps for compatibility); both are taken.
constexpr std::uint32_t kLocalAddrInet4 = 4;
// A _v2 address may be WasmEdge's 128-byte storage: a little-endian u16 family, then the bytes.
constexpr std::uint32_t kAddressStorageLen = 128;

enum class Rule { kKeep, kDeny, kOpen, kConnect, kBind, kListen };

struct NamedRule {
  std::string_view name;
  Rule rule;
};

// With grants: what each sock_* function becomes. Names not listed are denied.
constexpr std::array kGrantedRules = {
    NamedRule{"sock_open", Rule::kOpen},
    NamedRule{"sock_open_v2", Rule::kOpen},
    NamedRule{"sock_connect", Rule::kConnect},
    NamedRule{"sock_connect_v2", Rule::kConnect},
    NamedRule{"sock_bind", Rule::kBind},
    NamedRule{"sock_bind_v2", Rule::kBind},
    NamedRule{"sock_listen", Rule::kListen},
    NamedRule{"sock_listen_v2", Rule::kListen},
    NamedRule{"sock_accept", Rule::kKeep},
    NamedRule{"sock_accept_v2", Rule::kKeep},
    NamedRule{"sock_recv", Rule::kKeep},
    NamedRule{"sock_recv_v2", Rule::kKeep},
    NamedRule{"sock_send", Rule::kKeep},
    NamedRule{"sock_send_v2", Rule::kKeep},
    NamedRule{"sock_shutdown", Rule::kKeep},
    NamedRule{"sock_getlocaladdr", Rule::kKeep},
    NamedRule{"sock_getlocaladdr_v2", Rule::kKeep},
    NamedRule{"sock_getpeeraddr", Rule::kKeep},
    NamedRule{"sock_getpeeraddr_v2", Rule::kKeep},
    NamedRule{"sock_getsockopt", Rule::kKeep},
    NamedRule{"sock_setsockopt", Rule::kKeep},
};

Rule ruleFor(std::string_view name, bool granted) {
  if (name == "path_symlink" || name == "proc_raise") {
    return Rule::kDeny;
  }
  if (!name.starts_with("sock_")) {
    return Rule::kKeep;
  }
  if (!granted) {
    return Rule::kDeny;
  }
  const auto* it = std::ranges::find(kGrantedRules, name, &NamedRule::name);
  return it == kGrantedRules.end() ? Rule::kDeny : it->rule;
}

// The originals the proxy imports from wasi_snapshot_preview1, each wrapped by an export that
// passes its i32 parameters on and returns the errno. Indexes into WasiPolicy::Proxy::fns.
struct Proxied {
  std::string_view import;
  std::uint32_t n_params;
};
constexpr std::array kProxied = {Proxied{"sock_open", 3}, Proxied{"sock_bind", 3},
                                 Proxied{"sock_connect", 3}, Proxied{"sock_listen", 2},
                                 Proxied{"sock_getlocaladdr", 4}};
enum ProxiedIndex : std::size_t { kOpen, kBind, kConnect, kListen, kGetLocalAddr };

// The proxy's memory, where forwarded calls find their arguments and leave their results.
constexpr std::uint32_t kOutAt = 0;      // u32: sock_open's fd; getlocaladdr's family
constexpr std::uint32_t kPortAt = 4;     // u32: getlocaladdr's port
constexpr std::uint32_t kAddressAt = 8;  // __wasi_address_t {u32 buf = kBytesAt, u32 buf_len}
constexpr std::uint32_t kBytesAt = 16;   // the 4 bytes of an IPv4 address

void leb128(std::vector<std::uint8_t>& out, std::size_t value) {
  do {
    const auto low = static_cast<std::uint8_t>(value & 0x7fU);
    value >>= 7U;
    out.push_back(value != 0 ? static_cast<std::uint8_t>(low | 0x80U) : low);
  } while (value != 0);
}

void appendName(std::vector<std::uint8_t>& out, std::string_view s) {
  leb128(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

void appendSection(std::vector<std::uint8_t>& out, std::uint8_t id,
                   const std::vector<std::uint8_t>& body) {
  out.push_back(id);
  leb128(out, body.size());
  out.insert(out.end(), body.begin(), body.end());
}

// (module
//   (import "wasi_snapshot_preview1" "sock_open" (func $0 (param i32 i32 i32) (result i32)))
//   ... one import per kProxied entry ...
//   (memory (export "memory") 1)
//   (func (export "0") (param i32 i32 i32) (result i32)
//     local.get 0 local.get 1 local.get 2 call $0)
//   ... one wrapper per import, exported under its index ...)
std::vector<std::uint8_t> proxyModule() {
  std::vector<std::uint8_t> types;
  std::vector<std::uint8_t> imports;
  std::vector<std::uint8_t> funcs;
  std::vector<std::uint8_t> exports;
  std::vector<std::uint8_t> code;
  const std::size_t n = kProxied.size();
  for (auto* list : {&types, &imports, &funcs, &code}) {
    leb128(*list, n);
  }
  leb128(exports, n + 1);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t arity = kProxied[i].n_params;
    types.push_back(0x60);  // func (i32 x arity) -> i32
    leb128(types, arity);
    types.insert(types.end(), arity, 0x7f);
    types.insert(types.end(), {0x01, 0x7f});
    appendName(imports, "wasi_snapshot_preview1");
    appendName(imports, kProxied[i].import);
    imports.push_back(0x00);  // a function, of type i
    leb128(imports, i);
    leb128(funcs, i);  // wrapper n + i has type i
    appendName(exports, std::to_string(i));
    exports.push_back(0x00);
    leb128(exports, n + i);
    std::vector<std::uint8_t> body = {0x00};  // no locals
    for (std::uint32_t p = 0; p < arity; ++p) {
      body.push_back(0x20);  // local.get p
      leb128(body, p);
    }
    body.push_back(0x10);  // call import i
    leb128(body, i);
    body.push_back(0x0b);  // end
    leb128(code, body.size());
    code.insert(code.end(), body.begin(), body.end());
  }
  appendName(exports, "memory");
  exports.insert(exports.end(), {0x02, 0x00});
  std::vector<std::uint8_t> out = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  appendSection(out, 1, types);
  appendSection(out, 2, imports);
  appendSection(out, 3, funcs);
  appendSection(out, 5, {0x01, 0x00, 0x01});  // one memory, at least 1 page, no maximum
  appendSection(out, 7, exports);
  appendSection(out, 10, code);
  return out;
}

bool returnsOneI32(const WasmEdge_FunctionTypeContext* type) {
  WasmEdge_ValType ret{};
  return WasmEdge_FunctionTypeGetReturnsLength(type) == 1 &&
         WasmEdge_FunctionTypeGetReturns(type, &ret, 1) == 1 && WasmEdge_ValTypeIsI32(ret);
}

bool takesI32s(const WasmEdge_FunctionTypeContext* type, std::uint32_t n) {
  std::array<WasmEdge_ValType, 8> params{};
  if (n > params.size() || WasmEdge_FunctionTypeGetParametersLength(type) != n) {
    return false;
  }
  WasmEdge_FunctionTypeGetParameters(type, params.data(), n);
  return std::all_of(params.begin(), params.begin() + n,
                     [](WasmEdge_ValType t) { return WasmEdge_ValTypeIsI32(t); });
}

bool readGuest(const WasmEdge_MemoryInstanceContext* memory, std::uint32_t offset,
               std::span<std::uint8_t> out) {
  return memory != nullptr &&
         WasmEdge_ResultOK(WasmEdge_MemoryInstanceGetData(memory, out.data(), offset,
                                                          static_cast<std::uint32_t>(out.size())));
}

// Wasm memory is little-endian; so are the hosts WasmEdge's AOT code runs on.
static_assert(std::endian::native == std::endian::little);

std::uint32_t loadU32(std::span<const std::uint8_t> bytes) {
  std::uint32_t v = 0;
  std::memcpy(&v, bytes.data(), sizeof v);
  return v;
}

WasmEdge_Result deny(void* /*data*/, const WasmEdge_CallingFrameContext* /*frame*/,
                     const WasmEdge_Value* /*params*/, WasmEdge_Value* results) noexcept {
  results[0] = WasmEdge_ValueGenI32(static_cast<std::int32_t>(kWasiNotCapable));
  return WasmEdge_Result_Success;
}

WasmEdge_Result denyByTrap(void* /*data*/, const WasmEdge_CallingFrameContext* /*frame*/,
                           const WasmEdge_Value* /*params*/, WasmEdge_Value* /*results*/) noexcept {
  return trapWith(Trap::kNotCapable);
}

}  // namespace

struct WasiPolicy::Call {
  const WasmEdge_CallingFrameContext* frame;
  const WasmEdge_Value* params;
};

namespace {

std::uint32_t argU32(const WasiPolicy::Call& call, std::size_t i) noexcept {
  return static_cast<std::uint32_t>(WasmEdge_ValueGetI32(call.params[i]));
}

template <auto Method, auto... Args>
WasmEdge_Result checked(void* data, const WasmEdge_CallingFrameContext* frame,
                        const WasmEdge_Value* params, WasmEdge_Value* results) noexcept {
  try {
    auto* policy = static_cast<WasiPolicy*>(data);
    const WasiPolicy::Outcome outcome = (policy->*Method)(WasiPolicy::Call{frame, params}, Args...);
    if (!outcome) {
      return outcome.error();
    }
    results[0] = WasmEdge_ValueGenI32(static_cast<std::int32_t>(*outcome));
    return WasmEdge_Result_Success;
  } catch (...) {
    RR_LOG_ERROR("WASI socket policy: exception escaped the host function");
    return trapWith(Trap::kHostBug);
  }
}

// The host function for `rule`, or null to keep WasmEdge's. The checked ones need the exact
// 0.14.1 signature; anything else is denied.
WasmEdge_HostFunc_t hostFunctionFor(Rule rule, const WasmEdge_FunctionTypeContext* type) {
  if (rule == Rule::kKeep) {
    return nullptr;
  }
  if (!returnsOneI32(type)) {
    return denyByTrap;
  }
  switch (rule) {
    case Rule::kOpen:
      return takesI32s(type, 3) ? checked<&WasiPolicy::open> : deny;
    case Rule::kConnect:
      return takesI32s(type, 3) ? checked<&WasiPolicy::connectOrBind, true> : deny;
    case Rule::kBind:
      return takesI32s(type, 3) ? checked<&WasiPolicy::connectOrBind, false> : deny;
    case Rule::kListen:
      return takesI32s(type, 2) ? checked<&WasiPolicy::listen> : deny;
    case Rule::kKeep:
    case Rule::kDeny:
      break;
  }
  return deny;
}

}  // namespace

// Destroyed in reverse order: the proxy instance, then its store (which unlinks the WASI
// module), then the executor that instantiated it.
struct WasiPolicy::Proxy {
  ExecutorPtr executor;
  StorePtr store;
  ModuleInstancePtr module;
  std::array<WasmEdge_FunctionInstanceContext*, kProxied.size()> fns{};  // borrowed from module
  WasmEdge_MemoryInstanceContext* memory = nullptr;                      // borrowed from module
};

WasiPolicy::WasiPolicy(std::vector<NetGrant> grants) : grants_(std::move(grants)) {}
WasiPolicy::~WasiPolicy() = default;

Result<std::unique_ptr<WasiPolicy>> WasiPolicy::install(WasmEdge_ModuleInstanceContext* wasi,
                                                        std::vector<NetGrant> grants) {
  std::unique_ptr<WasiPolicy> policy(new WasiPolicy(std::move(grants)));
  const bool granted = !policy->grants_.empty();
  if (granted) {
    // Before the exports are replaced: the proxy's imports must bind to the originals.
    RR_RETURN_IF_ERROR(policy->startProxy(wasi));
  }
  const std::uint32_t n = WasmEdge_ModuleInstanceListFunctionLength(wasi);
  std::vector<WasmEdge_String> listed(n);
  WasmEdge_ModuleInstanceListFunction(wasi, listed.data(), n);
  // Copied: the listed strings point into the export map that the loop below modifies.
  std::vector<std::string> names;
  names.reserve(n);
  for (const WasmEdge_String& s : listed) {
    names.emplace_back(s.Buf, s.Length);
  }
  for (const std::string& fn_name : names) {
    const WasmEdge_FunctionInstanceContext* original =
        WasmEdge_ModuleInstanceFindFunction(wasi, wrap(fn_name));
    const WasmEdge_FunctionTypeContext* type = WasmEdge_FunctionInstanceGetFunctionType(original);
    const WasmEdge_HostFunc_t host = hostFunctionFor(ruleFor(fn_name, granted), type);
    if (host == nullptr) {
      continue;
    }
    FunctionInstancePtr replacement(WasmEdge_FunctionInstanceCreate(type, host, policy.get(), 0));
    // 0.14: AddFunction always takes ownership; an existing name is replaced.
    WasmEdge_ModuleInstanceAddFunction(wasi, wrap(fn_name), replacement.release());
  }
  return policy;
}

Result<> WasiPolicy::startProxy(WasmEdge_ModuleInstanceContext* wasi) {
  static const std::vector<std::uint8_t> kBytes = proxyModule();
  auto proxy = std::make_unique<Proxy>();
  proxy->executor.reset(WasmEdge_ExecutorCreate(nullptr, nullptr));
  proxy->store.reset(WasmEdge_StoreCreate());
  const LoaderPtr loader(WasmEdge_LoaderCreate(nullptr));
  const ValidatorPtr validator(WasmEdge_ValidatorCreate(nullptr));
  WasmEdge_ASTModuleContext* raw_ast = nullptr;
  WasmEdge_Result r =
      WasmEdge_ExecutorRegisterImport(proxy->executor.get(), proxy->store.get(), wasi);
  if (WasmEdge_ResultOK(r)) {
    r = WasmEdge_LoaderParseFromBuffer(loader.get(), &raw_ast, kBytes.data(),
                                       static_cast<std::uint32_t>(kBytes.size()));
  }
  const AstModulePtr ast(raw_ast);
  if (WasmEdge_ResultOK(r)) {
    r = WasmEdge_ValidatorValidate(validator.get(), ast.get());
  }
  WasmEdge_ModuleInstanceContext* raw_module = nullptr;
  if (WasmEdge_ResultOK(r)) {
    r = WasmEdge_ExecutorInstantiate(proxy->executor.get(), &raw_module, proxy->store.get(),
                                     ast.get());
  }
  proxy->module.reset(raw_module);
  if (!WasmEdge_ResultOK(r)) {
    return fail(Errc::kInvalidModule, "WASI socket proxy", resultMessage(r));
  }
  for (std::size_t i = 0; i < kProxied.size(); ++i) {
    proxy->fns[i] =
        WasmEdge_ModuleInstanceFindFunction(proxy->module.get(), wrap(std::to_string(i)));
  }
  proxy->memory = WasmEdge_ModuleInstanceFindMemory(proxy->module.get(), wrap("memory"));
  proxy_ = std::move(proxy);
  return {};
}

WasiPolicy::Outcome WasiPolicy::forward(const Call& call, std::size_t proxied,
                                        std::span<const WasmEdge_Value> params) {
  WasmEdge_Value result = WasmEdge_ValueGenI32(0);
  const WasmEdge_Result r =
      WasmEdge_ExecutorInvoke(WasmEdge_CallingFrameGetExecutor(call.frame), proxy_->fns[proxied],
                              params.data(), static_cast<std::uint32_t>(params.size()), &result, 1);
  if (!WasmEdge_ResultOK(r)) {
    return std::unexpected(r);
  }
  return static_cast<std::uint32_t>(WasmEdge_ValueGetI32(result));
}

// sock_open(family, type, *fd): TCP over IPv4 only. The fd lands in the proxy's memory first and
// is copied out to the guest, whose pointer was checked before the socket was made.
WasiPolicy::Outcome WasiPolicy::open(const Call& call) {
  if (argU32(call, 0) != kFamilyInet4 || argU32(call, 1) != kSockStream) {
    return kWasiNotCapable;
  }
  WasmEdge_MemoryInstanceContext* guest = WasmEdge_CallingFrameGetMemoryInstance(call.frame, 0);
  std::array<std::uint8_t, 4> fd{};
  if (!readGuest(guest, argU32(call, 2), fd)) {
    return kErrnoFault;
  }
  const std::array params = {call.params[0], call.params[1], WasmEdge_ValueGenI32(kOutAt)};
  const Outcome opened = forward(call, kOpen, params);
  if (!opened || *opened != 0) {
    return opened;
  }
  WasmEdge_MemoryInstanceGetData(proxy_->memory, fd.data(), kOutAt, fd.size());
  WasmEdge_MemoryInstanceSetData(guest, fd.data(), argU32(call, 2), fd.size());
  return 0;
}

// sock_connect / sock_bind (and _v2)(fd, *address, port): the address is {u32 buf, u32 buf_len}
// with 4 IPv4 bytes at buf, or (_v2) WasmEdge's 128-byte storage; the port is a u32 that
// WasmEdge truncates to 16 bits, so anything above 65535 is refused rather than truncated.
WasiPolicy::Outcome WasiPolicy::connectOrBind(const Call& call, bool connect) {
  const WasmEdge_MemoryInstanceContext* guest =
      WasmEdge_CallingFrameGetMemoryInstance(call.frame, 0);
  std::array<std::uint8_t, 8> address{};
  if (!readGuest(guest, argU32(call, 1), address)) {
    return kErrnoFault;
  }
  const std::uint32_t buf = loadU32(std::span(address).first<4>());
  const std::uint32_t buf_len = loadU32(std::span(address).last<4>());
  std::array<std::uint8_t, kAddressStorageLen> bytes{};
  if (buf_len > bytes.size() || !readGuest(guest, buf, std::span(bytes).first(buf_len))) {
    return buf_len > bytes.size() ? kErrnoInval : kErrnoFault;
  }
  std::array<std::uint8_t, 4> ip{};
  if (buf_len == ip.size()) {
    std::ranges::copy(std::span(bytes).first<4>(), ip.begin());
  } else if (buf_len == kAddressStorageLen && bytes[0] == kFamilyInet4 && bytes[1] == 0) {
    std::ranges::copy(std::span(bytes).subspan<2, 4>(), ip.begin());
  } else {
    return buf_len == 16 || buf_len == kAddressStorageLen ? kWasiNotCapable : kErrnoInval;
  }
  const std::uint32_t port = argU32(call, 2);
  if (port > UINT16_MAX) {
    return kErrnoInval;
  }
  if (!netGrantsAllow(grants_, ip, static_cast<std::uint16_t>(port))) {
    RR_LOG_DEBUG("WASI: {} {}.{}.{}.{}:{} is not granted", connect ? "connect to" : "bind on",
                 ip[0], ip[1], ip[2], ip[3], port);
    return kWasiNotCapable;
  }
  const std::array<std::uint32_t, 2> proxy_address = {kBytesAt, 4};
  WasmEdge_MemoryInstanceSetData(proxy_->memory,
                                 reinterpret_cast<const std::uint8_t*>(proxy_address.data()),
                                 kAddressAt, sizeof proxy_address);
  WasmEdge_MemoryInstanceSetData(proxy_->memory, ip.data(), kBytesAt, ip.size());
  const std::array params = {call.params[0], WasmEdge_ValueGenI32(kAddressAt), call.params[2]};
  return forward(call, connect ? kConnect : kBind, params);
}

// sock_listen(fd, backlog): only on a socket bound to a granted address. An unbound socket
// reports 0.0.0.0:0, which a listen would turn into 0.0.0.0:ephemeral.
WasiPolicy::Outcome WasiPolicy::listen(const Call& call) {
  const std::array<std::uint32_t, 2> proxy_address = {kBytesAt, 4};
  WasmEdge_MemoryInstanceSetData(proxy_->memory,
                                 reinterpret_cast<const std::uint8_t*>(proxy_address.data()),
                                 kAddressAt, sizeof proxy_address);
  const std::array query = {call.params[0], WasmEdge_ValueGenI32(kAddressAt),
                            WasmEdge_ValueGenI32(kOutAt), WasmEdge_ValueGenI32(kPortAt)};
  const Outcome local = forward(call, kGetLocalAddr, query);
  if (!local || *local != 0) {
    return local;
  }
  std::array<std::uint8_t, 8> family_port{};
  std::array<std::uint8_t, 4> ip{};
  WasmEdge_MemoryInstanceGetData(proxy_->memory, family_port.data(), kOutAt, family_port.size());
  WasmEdge_MemoryInstanceGetData(proxy_->memory, ip.data(), kBytesAt, ip.size());
  const std::uint32_t family = loadU32(std::span(family_port).first<4>());
  const std::uint32_t port = loadU32(std::span(family_port).last<4>());
  if ((family != kLocalAddrInet4 && family != kFamilyInet4) || port > UINT16_MAX ||
      !netGrantsAllow(grants_, ip, static_cast<std::uint16_t>(port))) {
    RR_LOG_DEBUG("WASI: listen on {}.{}.{}.{}:{} is not granted", ip[0], ip[1], ip[2], ip[3], port);
    return kWasiNotCapable;
  }
  return forward(call, kListen, std::span(call.params, 2));
}

}  // namespace rr::wasm
