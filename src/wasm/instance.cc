#include "roadrunner/wasm/instance.h"

#include <sys/stat.h>

#include <array>
#include <chrono>
#include <cstring>
#include <optional>

#include "roadrunner/base/log.h"
#include "roadrunner/base/try.h"
#include "roadrunner/guest/abi.h"
#include "roadrunner/sys/page_move.h"
#include "roadrunner/wasm/shared_pages.h"

#include "guest_signals.h"
#include "handles.h"
#include "wasi_policy.h"
#include "watchdog.h"

namespace rr::wasm {
namespace {

std::uint32_t argU32(const WasmEdge_Value* params, std::size_t i) noexcept {
  return static_cast<std::uint32_t>(WasmEdge_ValueGetI32(params[i]));
}

// The name a receiver's linear memory must be exported under; the host finds it by this name.
constexpr std::string_view kMemoryExport = "memory";

// The whole memory at its current size, up to the full 4 GiB of wasm32. GetPointer takes a
// 32-bit length, so it is asked for the first byte only: the memory is one contiguous mapping
// (WasmEdge reserves the whole 4 GiB range up front), and its size comes from its page count.
std::span<std::byte> wholeMemory(const WasmEdge_MemoryInstanceContext* mem) noexcept {
  if (mem == nullptr) {
    return {};
  }
  const std::uint64_t size = std::uint64_t{WasmEdge_MemoryInstanceGetPageSize(mem)} * 65536U;
  if (size == 0) {
    return {};
  }
  auto* base =
      WasmEdge_MemoryInstanceGetPointer(const_cast<WasmEdge_MemoryInstanceContext*>(mem), 0, 1);
  return base == nullptr ? std::span<std::byte>{}
                         : std::span<std::byte>(reinterpret_cast<std::byte*>(base), size);
}

std::span<std::byte> frameMemory(const WasmEdge_CallingFrameContext* frame) noexcept {
  return wholeMemory(WasmEdge_CallingFrameGetMemoryInstance(frame, 0));
}

// Does nothing. An asynchronous call of it leaves behind a handle whose cancel stops the VM,
// the only way WasmEdge 0.14's C API offers to stop a call that runs on the caller's thread.
WasmEdge_Result hostNop(void* /*data*/, const WasmEdge_CallingFrameContext* /*frame*/,
                        const WasmEdge_Value* /*params*/, WasmEdge_Value* /*results*/) noexcept {
  return WasmEdge_Result_Success;
}
constexpr std::string_view kLeverModule = "roadrunner_host";
constexpr std::string_view kLeverFunction = "nop";

// The host data of the roadrunner module's functions: the instance's imports, its shared
// buffers, and whether its memory has been advised to use huge pages yet. Touched only by the
// instance's thread. Outside the anonymous namespace: Instance::State holds one.
}  // namespace
struct HostData {
  host::Imports* imports = nullptr;
  SharedPages shared;
  bool advised = false;
};
namespace {

// Host function trampolines: decode i32 arguments, hand spans to rr::host, never throw.
template <host::Imports::SendKind kKind>
WasmEdge_Result hostSend(void* data, const WasmEdge_CallingFrameContext* frame,
                         const WasmEdge_Value* params, WasmEdge_Value* results) noexcept {
  if (stackNearlyExhausted()) {
    return trapWith(Trap::kStackExhausted);
  }
  try {
    auto* host_data = static_cast<HostData*>(data);
    const host::SendArgs args{.target = argU32(params, 0),
                              .target_len = argU32(params, 1),
                              .buf = argU32(params, 2),
                              .len = argU32(params, 3),
                              .reply = argU32(params, 4),
                              .reply_cap = argU32(params, 5),
                              .reply_len_out = argU32(params, 6)};
    const host::Status status =
        host_data->imports->send(frameMemory(frame), args, kKind, &host_data->shared);
    results[0] = WasmEdge_ValueGenI32(static_cast<std::int32_t>(status));
    return WasmEdge_Result_Success;
  } catch (...) {
    RR_LOG_ERROR("send: exception escaped the host function");
    return trapWith(Trap::kHostBug);
  }
}

// send_move. At an instance's first move its linear memory is advised to use huge pages, so the
// buffers it fills from then on move as whole 2 MiB page-table entries where they are 2 MiB
// aligned (rr_move_buffer's large buffers are). The advice stays with the memory as it grows:
// WasmEdge grows a linear memory in place (mremap), which keeps the mapping's flags.
void adviseOnFirstMove(HostData& host_data, const WasmEdge_CallingFrameContext* frame) noexcept {
  if (!host_data.advised) {
    host_data.advised = true;
    if (auto advised = sys::adviseHugePages(frameMemory(frame)); !advised) {
      RR_LOG_DEBUG("a move: pages move 4 KiB at a time: {}", advised.error().message());
    }
  }
}

WasmEdge_Result hostSendMove(void* data, const WasmEdge_CallingFrameContext* frame,
                             const WasmEdge_Value* params, WasmEdge_Value* results) noexcept {
  adviseOnFirstMove(*static_cast<HostData*>(data), frame);
  return hostSend<host::Imports::SendKind::kMove>(data, frame, params, results);
}

// share_pages and unshare_pages (SharedPages).
template <bool kShare>
WasmEdge_Result hostSharePages(void* data, const WasmEdge_CallingFrameContext* frame,
                               const WasmEdge_Value* params, WasmEdge_Value* results) noexcept {
  try {
    auto* host_data = static_cast<HostData*>(data);
    const std::span<std::byte> memory = frameMemory(frame);
    // Pages that never leave the process may be huge; a memfd crosses to a serving process.
    const auto kind = host_data->imports != nullptr && host_data->imports->sendsOnlyInProcess()
                          ? sys::SharedFileKind::kHugePages
                          : sys::SharedFileKind::kSealedMemfd;
    const host::Status status =
        kShare ? host_data->shared.share(memory, argU32(params, 0), argU32(params, 1), kind)
               : host_data->shared.unshare(memory, argU32(params, 0), argU32(params, 1));
    results[0] = WasmEdge_ValueGenI32(static_cast<std::int32_t>(status));
    return WasmEdge_Result_Success;
  } catch (...) {
    RR_LOG_ERROR("share_pages: exception escaped the host function");
    return trapWith(Trap::kHostBug);
  }
}

// add_counter (GuestCounters).
WasmEdge_Result hostAddCounter(void* data, const WasmEdge_CallingFrameContext* frame,
                               const WasmEdge_Value* params, WasmEdge_Value* results) noexcept {
  try {
    const host::Status status = static_cast<host::Imports*>(data)->addCounter(
        frameMemory(frame), argU32(params, 0), argU32(params, 1), argU32(params, 2));
    results[0] = WasmEdge_ValueGenI32(static_cast<std::int32_t>(status));
    return WasmEdge_Result_Success;
  } catch (...) {
    RR_LOG_ERROR("add_counter: exception escaped the host function");
    return trapWith(Trap::kHostBug);
  }
}

// span_event (the span the instance runs in; a no-op without tracing).
WasmEdge_Result hostSpanEvent(void* data, const WasmEdge_CallingFrameContext* frame,
                              const WasmEdge_Value* params, WasmEdge_Value* results) noexcept {
  try {
    const host::Status status = static_cast<host::Imports*>(data)->spanEvent(
        frameMemory(frame), argU32(params, 0), argU32(params, 1));
    results[0] = WasmEdge_ValueGenI32(static_cast<std::int32_t>(status));
    return WasmEdge_Result_Success;
  } catch (...) {
    RR_LOG_ERROR("span_event: exception escaped the host function");
    return trapWith(Trap::kHostBug);
  }
}

// stream_open, stream_write, stream_close (host::OutStreams). write and close block until the
// receivers have taken the chunk or seen the end: like send, they need stack to spare.
WasmEdge_Result hostStreamOpen(void* data, const WasmEdge_CallingFrameContext* frame,
                               const WasmEdge_Value* params, WasmEdge_Value* results) noexcept {
  try {
    const host::Status status = static_cast<host::Imports*>(data)->streamOpen(
        frameMemory(frame), argU32(params, 0), argU32(params, 1), argU32(params, 2));
    results[0] = WasmEdge_ValueGenI32(static_cast<std::int32_t>(status));
    return WasmEdge_Result_Success;
  } catch (...) {
    RR_LOG_ERROR("stream_open: exception escaped the host function");
    return trapWith(Trap::kHostBug);
  }
}

// stream_write (kLend) and stream_try_write (kTry).
template <host::Imports::SendKind kKind>
WasmEdge_Result hostStreamWrite(void* data, const WasmEdge_CallingFrameContext* frame,
                                const WasmEdge_Value* params, WasmEdge_Value* results) noexcept {
  if (stackNearlyExhausted()) {
    return trapWith(Trap::kStackExhausted);
  }
  try {
    const host::Status status = static_cast<host::Imports*>(data)->streamWrite(
        frameMemory(frame), argU32(params, 0), argU32(params, 1), argU32(params, 2), kKind);
    results[0] = WasmEdge_ValueGenI32(static_cast<std::int32_t>(status));
    return WasmEdge_Result_Success;
  } catch (...) {
    RR_LOG_ERROR("stream_write: exception escaped the host function");
    return trapWith(Trap::kHostBug);
  }
}

// stream_write_move: advises the memory as send_move does, so its chunks move as huge pages.
WasmEdge_Result hostStreamWriteMove(void* data, const WasmEdge_CallingFrameContext* frame,
                                    const WasmEdge_Value* params,
                                    WasmEdge_Value* results) noexcept {
  if (stackNearlyExhausted()) {
    return trapWith(Trap::kStackExhausted);
  }
  auto* host_data = static_cast<HostData*>(data);
  adviseOnFirstMove(*host_data, frame);
  try {
    const host::Status status =
        host_data->imports->streamWrite(frameMemory(frame), argU32(params, 0), argU32(params, 1),
                                        argU32(params, 2), host::Imports::SendKind::kMove);
    results[0] = WasmEdge_ValueGenI32(static_cast<std::int32_t>(status));
    return WasmEdge_Result_Success;
  } catch (...) {
    RR_LOG_ERROR("stream_write_move: exception escaped the host function");
    return trapWith(Trap::kHostBug);
  }
}

WasmEdge_Result hostStreamClose(void* data, const WasmEdge_CallingFrameContext* /*frame*/,
                                const WasmEdge_Value* params, WasmEdge_Value* results) noexcept {
  if (stackNearlyExhausted()) {
    return trapWith(Trap::kStackExhausted);
  }
  try {
    const host::Status status =
        static_cast<host::Imports*>(data)->streamClose(argU32(params, 0), argU32(params, 1));
    results[0] = WasmEdge_ValueGenI32(static_cast<std::int32_t>(status));
    return WasmEdge_Result_Success;
  } catch (...) {
    RR_LOG_ERROR("stream_close: exception escaped the host function");
    return trapWith(Trap::kHostBug);
  }
}

// send_async and send_wait (host::Imports::sendAsync): send_wait blocks, as send does.
WasmEdge_Result hostSendAsync(void* data, const WasmEdge_CallingFrameContext* frame,
                              const WasmEdge_Value* params, WasmEdge_Value* results) noexcept {
  try {
    const host::SendArgs args{.target = argU32(params, 0),
                              .target_len = argU32(params, 1),
                              .buf = argU32(params, 2),
                              .len = argU32(params, 3)};
    const host::Status status =
        static_cast<host::Imports*>(data)->sendAsync(frameMemory(frame), args, argU32(params, 4));
    results[0] = WasmEdge_ValueGenI32(static_cast<std::int32_t>(status));
    return WasmEdge_Result_Success;
  } catch (...) {
    RR_LOG_ERROR("send_async: exception escaped the host function");
    return trapWith(Trap::kHostBug);
  }
}

WasmEdge_Result hostSendWait(void* data, const WasmEdge_CallingFrameContext* /*frame*/,
                             const WasmEdge_Value* params, WasmEdge_Value* results) noexcept {
  if (stackNearlyExhausted()) {
    return trapWith(Trap::kStackExhausted);
  }
  try {
    const host::Status status = static_cast<host::Imports*>(data)->sendWait(argU32(params, 0));
    results[0] = WasmEdge_ValueGenI32(static_cast<std::int32_t>(status));
    return WasmEdge_Result_Success;
  } catch (...) {
    RR_LOG_ERROR("send_wait: exception escaped the host function");
    return trapWith(Trap::kHostBug);
  }
}

WasmEdge_Result hostReply(void* data, const WasmEdge_CallingFrameContext* frame,
                          const WasmEdge_Value* params, WasmEdge_Value* results) noexcept {
  if (stackNearlyExhausted()) {
    return trapWith(Trap::kStackExhausted);
  }
  try {
    auto* imports = static_cast<host::Imports*>(data);
    const host::Status status =
        imports->reply(frameMemory(frame), argU32(params, 0), argU32(params, 1));
    results[0] = WasmEdge_ValueGenI32(static_cast<std::int32_t>(status));
    return WasmEdge_Result_Success;
  } catch (...) {
    RR_LOG_ERROR("reply: exception escaped the host function");
    return trapWith(Trap::kHostBug);
  }
}

void addFunction(WasmEdge_ModuleInstanceContext* module, std::string_view name,
                 WasmEdge_HostFunc_t fn, void* data, std::size_t n_params,
                 std::size_t n_results = 1) {
  std::array<WasmEdge_ValType, 8> params{};
  for (std::size_t i = 0; i < n_params; ++i) {
    params[i] = WasmEdge_ValTypeGenI32();
  }
  WasmEdge_ValType ret = WasmEdge_ValTypeGenI32();
  const FunctionTypePtr type(WasmEdge_FunctionTypeCreate(params.data(),
                                                         static_cast<std::uint32_t>(n_params), &ret,
                                                         static_cast<std::uint32_t>(n_results)));
  FunctionInstancePtr fn_inst(WasmEdge_FunctionInstanceCreate(type.get(), fn, data, 0));
  // 0.14: AddFunction always takes ownership.
  WasmEdge_ModuleInstanceAddFunction(module, wrap(name), fn_inst.release());
}

// WasmEdge's message, or ours for the traps our host functions raise.
std::string trapMessage(WasmEdge_Result r) {
  if (WasmEdge_ResultGetCategory(r) == WasmEdge_ErrCategory_UserLevelError &&
      WasmEdge_ResultGetCode(r) == static_cast<std::uint32_t>(Trap::kStackExhausted)) {
    return "native stack exhausted (a host call with less than " +
           std::to_string(kHostHeadroom / 1024) + " KiB of stack left)";
  }
  return resultMessage(r);
}

// WASI's proc_exit ends a call with WasmEdge's "terminated".
bool isExit(WasmEdge_Result r) noexcept {
  return WasmEdge_ResultGetCategory(r) == WasmEdge_ErrCategory_WASM &&
         WasmEdge_ResultGetCode(r) == WasmEdge_ErrCode_Terminated;
}

// WasmEdge skips a preopen whose host directory it cannot open, silently: the guest would then
// run without the directory it was promised. Checked first, with a clear error.
Result<> checkPreopens(const std::vector<std::string>& dirs, const std::string& path) {
  for (const std::string& dir : dirs) {
    const std::size_t colon = dir.find(':');
    const std::string host = colon == std::string::npos ? dir : dir.substr(colon + 1);
    struct stat st{};
    if (::stat(host.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return fail(Errc::kNotFound, "preopen",
                  "'" + dir + "' for " + path + ": '" + host + "' is not a directory on this host");
    }
  }
  return {};
}

std::vector<const char*> cStrings(const std::vector<std::string>& v) {
  std::vector<const char*> out;
  out.reserve(v.size());
  for (const auto& s : v) {
    out.push_back(s.c_str());
  }
  return out;
}

}  // namespace

// Members are destroyed in reverse order: the stop lever first (it references the VM), then the
// VM, then the import modules it references, then the fallback Imports behind their functions.
struct Instance::State {
  std::string path;
  bool cancellable = true;
  std::shared_ptr<Watchdog> watchdog;
  host::Router empty_router;
  host::TransferStats fallback_stats;
  std::unique_ptr<host::Imports> fallback_imports;
  ModuleInstancePtr rr_module;
  ModuleInstancePtr lever_module;
  VmPtr vm;
  WasmEdge_ModuleInstanceContext* wasi = nullptr;  // borrowed from vm
  WasiPolicyPtr wasi_policy;  // backs wasi's socket functions; destroyed before vm
  AsyncPtr stop_lever;        // made at the first call with a time limit
  HostData host_data;         // the roadrunner module's host data
  // Exports looked up once (by name, in the active module, which lives as long as vm): a
  // delivery makes five calls, and a lookup by name costs about as much as a short call.
  struct Export {
    std::string name;
    const WasmEdge_FunctionInstanceContext* function = nullptr;
    std::uint32_t n_params = 0;
    std::uint32_t n_results = 0;
  };
  std::vector<Export> exports;
  const WasmEdge_MemoryInstanceContext* memory = nullptr;  // looked up once; owned by vm

  [[nodiscard]] const Export* exported(std::string_view name);
};

const Instance::State::Export* Instance::State::exported(std::string_view name) {
  for (const Export& e : exports) {
    if (e.name == name) {
      return &e;
    }
  }
  const WasmEdge_ModuleInstanceContext* active = WasmEdge_VMGetActiveModule(vm.get());
  const WasmEdge_FunctionInstanceContext* function =
      active == nullptr ? nullptr : WasmEdge_ModuleInstanceFindFunction(active, wrap(name));
  const WasmEdge_FunctionTypeContext* type =
      function == nullptr ? nullptr : WasmEdge_FunctionInstanceGetFunctionType(function);
  if (type == nullptr) {
    return nullptr;
  }
  return &exports.emplace_back(Export{.name = std::string(name),
                                      .function = function,
                                      .n_params = WasmEdge_FunctionTypeGetParametersLength(type),
                                      .n_results = WasmEdge_FunctionTypeGetReturnsLength(type)});
}

Instance::Instance(std::unique_ptr<State> state) : state_(std::move(state)) {}
Instance::Instance(Instance&&) noexcept = default;
Instance& Instance::operator=(Instance&&) noexcept = default;
Instance::~Instance() = default;

Result<Instance> Instance::create(const Engine& engine, const Module& module,
                                  InstanceOptions options) {
  RR_RETURN_IF_ERROR(prepareGuestThread());  // instantiation runs the module's start function
  RR_RETURN_IF_ERROR(checkPreopens(options.dirs, module.path));
  auto state = std::make_unique<State>();
  state->path = module.path;
  state->cancellable = module.cancellable;
  state->watchdog = engine.watchdog();
  const ConfigurePtr conf(WasmEdge_ConfigureCreate());
  WasmEdge_ConfigureAddHostRegistration(conf.get(), WasmEdge_HostRegistration_Wasi);
  if (options.max_memory_pages != 0) {
    WasmEdge_ConfigureSetMaxMemoryPage(conf.get(), options.max_memory_pages);
  }
  state->vm.reset(WasmEdge_VMCreate(conf.get(), nullptr));
  if (!state->vm) {
    return fail(Errc::kInvalidModule, "create VM", module.path);
  }
  state->wasi = WasmEdge_VMGetImportModuleContext(state->vm.get(), WasmEdge_HostRegistration_Wasi);
  const auto args = cStrings(options.args);
  const auto env = cStrings(options.env);
  const auto dirs = cStrings(options.dirs);
  WasmEdge_ModuleInstanceInitWASI(state->wasi, args.data(), static_cast<std::uint32_t>(args.size()),
                                  env.data(), static_cast<std::uint32_t>(env.size()), dirs.data(),
                                  static_cast<std::uint32_t>(dirs.size()));
  RR_ASSIGN_OR_RETURN(state->wasi_policy,
                      WasiPolicy::install(state->wasi, std::move(options.net_grants)));

  host::Imports* imports = options.imports;
  if (imports == nullptr) {
    state->fallback_imports =
        std::make_unique<host::Imports>(module.path, &state->empty_router, &state->fallback_stats);
    imports = state->fallback_imports.get();
  }
  state->rr_module.reset(WasmEdge_ModuleInstanceCreate(wrap(RR_ABI_MODULE)));
  state->host_data.imports = imports;
  addFunction(state->rr_module.get(), RR_IMPORT_SEND, hostSend<host::Imports::SendKind::kLend>,
              &state->host_data, 7);
  addFunction(state->rr_module.get(), RR_IMPORT_SEND_MOVE, hostSendMove, &state->host_data, 7);
  addFunction(state->rr_module.get(), RR_IMPORT_REPLY, hostReply, imports, 2);
  addFunction(state->rr_module.get(), RR_IMPORT_SHARE_PAGES, hostSharePages<true>,
              &state->host_data, 2);
  addFunction(state->rr_module.get(), RR_IMPORT_UNSHARE_PAGES, hostSharePages<false>,
              &state->host_data, 2);
  addFunction(state->rr_module.get(), RR_IMPORT_ADD_COUNTER, hostAddCounter, imports, 3);
  addFunction(state->rr_module.get(), RR_IMPORT_SPAN_EVENT, hostSpanEvent, imports, 2);
  addFunction(state->rr_module.get(), RR_IMPORT_SEND_ASYNC, hostSendAsync, imports, 5);
  addFunction(state->rr_module.get(), RR_IMPORT_SEND_WAIT, hostSendWait, imports, 1);
  addFunction(state->rr_module.get(), RR_IMPORT_STREAM_OPEN, hostStreamOpen, imports, 3);
  addFunction(state->rr_module.get(), RR_IMPORT_STREAM_WRITE,
              hostStreamWrite<host::Imports::SendKind::kLend>, imports, 3);
  addFunction(state->rr_module.get(), RR_IMPORT_STREAM_TRY_WRITE,
              hostStreamWrite<host::Imports::SendKind::kTry>, imports, 3);
  addFunction(state->rr_module.get(), RR_IMPORT_STREAM_WRITE_MOVE, hostStreamWriteMove,
              &state->host_data, 3);
  addFunction(state->rr_module.get(), RR_IMPORT_STREAM_CLOSE, hostStreamClose, imports, 2);
  WasmEdge_Result r = WasmEdge_VMRegisterModuleFromImport(state->vm.get(), state->rr_module.get());
  if (WasmEdge_ResultOK(r)) {
    state->lever_module.reset(WasmEdge_ModuleInstanceCreate(wrap(kLeverModule)));
    addFunction(state->lever_module.get(), kLeverFunction, hostNop, nullptr, 0, 0);
    r = WasmEdge_VMRegisterModuleFromImport(state->vm.get(), state->lever_module.get());
  }
  if (!WasmEdge_ResultOK(r)) {
    return fail(Errc::kInvalidModule, "register imports", resultMessage(r));
  }
  r = WasmEdge_VMLoadWasmFromFile(state->vm.get(), module.loadable_path.c_str());
  if (!WasmEdge_ResultOK(r)) {
    return fail(Errc::kInvalidModule, "load", module.path + ": " + resultMessage(r));
  }
  r = WasmEdge_VMValidate(state->vm.get());
  if (!WasmEdge_ResultOK(r)) {
    return fail(Errc::kInvalidModule, "validate", module.path + ": " + resultMessage(r));
  }
  r = WasmEdge_VMInstantiate(state->vm.get());
  if (!WasmEdge_ResultOK(r)) {
    return fail(Errc::kInvalidModule, "instantiate", module.path + ": " + resultMessage(r));
  }
  Instance instance(std::move(state));
  if (instance.hasExport(RR_EXPORT_ABI_VERSION)) {
    const auto version = instance.call(RR_EXPORT_ABI_VERSION, {});
    if (!version || version->size() != 1 || (*version)[0] != RR_ABI_VERSION) {
      return fail(Errc::kAbiMismatch, "instantiate",
                  module.path + ": built for ABI version " +
                      (version && !version->empty() ? std::to_string((*version)[0]) : "?") +
                      ", this host speaks " + std::to_string(RR_ABI_VERSION));
    }
  }
  return instance;
}

bool Instance::hasExport(std::string_view name) const {
  const WasmEdge_ModuleInstanceContext* active = WasmEdge_VMGetActiveModule(state_->vm.get());
  return active != nullptr && WasmEdge_ModuleInstanceFindFunction(active, wrap(name)) != nullptr;
}

bool Instance::hasMemory() const {
  const WasmEdge_ModuleInstanceContext* active = WasmEdge_VMGetActiveModule(state_->vm.get());
  return active != nullptr &&
         WasmEdge_ModuleInstanceFindMemory(active, wrap(kMemoryExport)) != nullptr;
}

Result<int> Instance::runStart() {
  if (!hasExport("_start")) {
    return fail(Errc::kMissingExport, "run",
                state_->path + ": no _start export (not a WASI command)");
  }
  RR_RETURN_IF_ERROR(prepareGuestThread());
  const WasmEdge_Result r =
      WasmEdge_VMExecute(state_->vm.get(), wrap("_start"), nullptr, 0, nullptr, 0);
  if (WasmEdge_ResultOK(r) || isExit(r)) {
    return static_cast<int>(WasmEdge_ModuleInstanceWASIGetExitCode(state_->wasi));
  }
  return fail(Errc::kTrap, "run", state_->path + ": " + trapMessage(r));
}

Result<std::vector<std::uint32_t>> Instance::call(std::string_view name,
                                                  std::span<const std::uint32_t> args,
                                                  std::uint32_t limit_ms) {
  const State::Export* exported = state_->exported(name);
  if (exported == nullptr) {
    return fail(Errc::kMissingExport, "call", state_->path + ": no export " + std::string(name));
  }
  const std::uint32_t n_params = exported->n_params;
  const std::uint32_t n_results = exported->n_results;
  if (n_params != args.size() || n_results > 4) {
    return fail(Errc::kInvalidModule, "call",
                state_->path + ": export " + std::string(name) + " has the wrong signature");
  }
  std::array<WasmEdge_Value, 8> params{};
  for (std::size_t i = 0; i < args.size() && i < params.size(); ++i) {
    params[i] = WasmEdge_ValueGenI32(static_cast<std::int32_t>(args[i]));
  }
  std::array<WasmEdge_Value, 4> results{};
  RR_RETURN_IF_ERROR(prepareGuestThread());
  std::optional<Watchdog::Guard> deadline;
  if (limit_ms > 0) {
    if (!state_->cancellable || !state_->watchdog) {
      return fail(Errc::kInvalidArgument, "call",
                  state_->path + ": a time limit needs the interpreter or interruptible AOT code");
    }
    RR_RETURN_IF_ERROR(makeStopLever());
    deadline.emplace(
        state_->watchdog->arm(std::chrono::milliseconds(limit_ms),
                              [lever = state_->stop_lever.get()] { WasmEdge_AsyncCancel(lever); }));
  }
  const WasmEdge_Result r =
      WasmEdge_ExecutorInvoke(WasmEdge_VMGetExecutorContext(state_->vm.get()), exported->function,
                              params.data(), n_params, results.data(), n_results);
  if (deadline && deadline->disarm()) {
    return fail(Errc::kTimedOut, "call",
                state_->path + " " + std::string(name) + ": ran past its limit of " +
                    std::to_string(limit_ms) + " ms");
  }
  if (isExit(r)) {
    return fail(Errc::kExited, "call",
                state_->path + " " + std::string(name) + ": called proc_exit(" +
                    std::to_string(WasmEdge_ModuleInstanceWASIGetExitCode(state_->wasi)) + ")");
  }
  if (!WasmEdge_ResultOK(r)) {
    return fail(Errc::kTrap, "call",
                state_->path + " " + std::string(name) + ": " + trapMessage(r));
  }
  std::vector<std::uint32_t> out(n_results);
  for (std::uint32_t i = 0; i < n_results; ++i) {
    out[i] = static_cast<std::uint32_t>(WasmEdge_ValueGetI32(results[i]));
  }
  return out;
}

std::span<std::byte> Instance::memory() const {
  if (state_->memory == nullptr) {
    const WasmEdge_ModuleInstanceContext* active = WasmEdge_VMGetActiveModule(state_->vm.get());
    state_->memory = active == nullptr
                         ? nullptr
                         : WasmEdge_ModuleInstanceFindMemory(active, wrap(kMemoryExport));
  }
  return state_->memory == nullptr ? std::span<std::byte>{} : wholeMemory(state_->memory);
}

bool Instance::sharesPages(std::uint64_t offset, std::uint64_t len) const noexcept {
  return state_->host_data.shared.overlaps(offset, len);
}

Result<> Instance::makeStopLever() {
  if (state_->stop_lever) {
    return {};
  }
  AsyncPtr lever(WasmEdge_VMAsyncExecuteRegistered(state_->vm.get(), wrap(kLeverModule),
                                                   wrap(kLeverFunction), nullptr, 0));
  if (!lever) {
    return fail(Errc::kInvalidModule, "call", state_->path + ": cannot make a stop handle");
  }
  WasmEdge_AsyncWait(lever.get());
  state_->stop_lever = std::move(lever);
  return {};
}

const std::string& Instance::path() const noexcept { return state_->path; }

}  // namespace rr::wasm
