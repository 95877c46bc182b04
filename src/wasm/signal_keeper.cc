#include "signal_keeper.h"

#include <condition_variable>
#include <cstdint>
#include <latch>
#include <mutex>
#include <span>
#include <thread>

#include "roadrunner/base/log.h"
#include "roadrunner/base/try.h"
#include "roadrunner/wasm/aot_cache.h"

#include "handles.h"

namespace rr::wasm {
namespace {

// (module (import "rr" "park" (func)) (func (export "run") call 0))
constexpr std::uint8_t kKeeperWasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,                              // magic, version
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00,                                          // type: () -> ()
    0x02, 0x0b, 0x01, 0x02, 'r',  'r',  0x04, 'p',  'a',  'r', 'k', 0x00, 0x00,  // import rr.park
    0x03, 0x02, 0x01, 0x00,                                                      // func: type 0
    0x07, 0x07, 0x01, 0x03, 'r',  'u',  'n',  0x00, 0x01,                        // export run
    0x0a, 0x06, 0x01, 0x04, 0x00, 0x10, 0x00, 0x0b,                              // code: call 0
};

struct Keeper {
  std::latch parked{1};
  std::mutex mutex;
  std::condition_variable never;
};

WasmEdge_Result park(void* data, const WasmEdge_CallingFrameContext* /*frame*/,
                     const WasmEdge_Value* /*params*/, WasmEdge_Value* /*results*/) noexcept {
  auto* keeper = static_cast<Keeper*>(data);
  keeper->parked.count_down();
  std::unique_lock lock(keeper->mutex);
  keeper->never.wait(lock, [] { return false; });  // parked for the life of the process
  return trapWith(Trap::kKeeperStop);
}

Result<> startKeeper(const AotCache& cache) {
  const auto bytes = std::as_bytes(std::span(kKeeperWasm));
  RR_ASSIGN_OR_RETURN(const AotCache::Entry entry, cache.compiled(bytes, "<signal keeper>"));
  // Deliberately leaked: the parked thread uses these until the process exits.
  auto* keeper =
      new Keeper;  // NOLINT(cppcoreguidelines-owning-memory): lives as long as the process
  ModuleInstancePtr module(WasmEdge_ModuleInstanceCreate(wrap("rr")));
  const FunctionTypePtr type(WasmEdge_FunctionTypeCreate(nullptr, 0, nullptr, 0));
  WasmEdge_ModuleInstanceAddFunction(module.get(), wrap("park"),
                                     WasmEdge_FunctionInstanceCreate(type.get(), park, keeper, 0));
  VmPtr vm(WasmEdge_VMCreate(nullptr, nullptr));
  WasmEdge_Result r = WasmEdge_VMRegisterModuleFromImport(vm.get(), module.get());
  if (WasmEdge_ResultOK(r)) {
    r = WasmEdge_VMLoadWasmFromFile(vm.get(), entry.path.c_str());
  }
  if (WasmEdge_ResultOK(r)) {
    r = WasmEdge_VMValidate(vm.get());
  }
  if (WasmEdge_ResultOK(r)) {
    r = WasmEdge_VMInstantiate(vm.get());
  }
  if (!WasmEdge_ResultOK(r)) {
    delete keeper;  // NOLINT(cppcoreguidelines-owning-memory): never handed to a thread
    return fail(Errc::kInvalidModule, "start signal keeper", resultMessage(r));
  }
  std::thread([vm = vm.release(), module = module.release()] {
    (void)module;  // referenced by the VM; both live until the process exits
    WasmEdge_VMExecute(vm, wrap("run"), nullptr, 0, nullptr, 0);
  }).detach();
  keeper->parked.wait();
  return {};
}

}  // namespace

Result<> ensureSignalKeeper(const AotCache& cache) {
  static std::mutex mutex;
  static bool started = false;
  const std::scoped_lock lock(mutex);
  if (started) {
    return {};
  }
  RR_RETURN_IF_ERROR(startKeeper(cache));
  started = true;
  return {};
}

}  // namespace rr::wasm
