#pragma once

// Owning handles for WasmEdge contexts: unique_ptr with a stateless deleter (one pointer wide).
// Private to rr::wasm, the only module that includes <wasmedge/wasmedge.h>.

#include <memory>
#include <string>
#include <string_view>

#include <wasmedge/wasmedge.h>

namespace rr::wasm {

template <auto DeleteFn>
struct CDelete {
  template <typename T>
  void operator()(T* p) const noexcept {
    DeleteFn(p);
  }
};

using ConfigurePtr = std::unique_ptr<WasmEdge_ConfigureContext, CDelete<&WasmEdge_ConfigureDelete>>;
using VmPtr = std::unique_ptr<WasmEdge_VMContext, CDelete<&WasmEdge_VMDelete>>;
using ModuleInstancePtr =
    std::unique_ptr<WasmEdge_ModuleInstanceContext, CDelete<&WasmEdge_ModuleInstanceDelete>>;
using FunctionTypePtr =
    std::unique_ptr<WasmEdge_FunctionTypeContext, CDelete<&WasmEdge_FunctionTypeDelete>>;
using FunctionInstancePtr =
    std::unique_ptr<WasmEdge_FunctionInstanceContext, CDelete<&WasmEdge_FunctionInstanceDelete>>;
using CompilerPtr = std::unique_ptr<WasmEdge_CompilerContext, CDelete<&WasmEdge_CompilerDelete>>;
using LoaderPtr = std::unique_ptr<WasmEdge_LoaderContext, CDelete<&WasmEdge_LoaderDelete>>;
using ValidatorPtr = std::unique_ptr<WasmEdge_ValidatorContext, CDelete<&WasmEdge_ValidatorDelete>>;
using AsyncPtr = std::unique_ptr<WasmEdge_Async, CDelete<&WasmEdge_AsyncDelete>>;
using AstModulePtr = std::unique_ptr<WasmEdge_ASTModuleContext, CDelete<&WasmEdge_ASTModuleDelete>>;
using StorePtr = std::unique_ptr<WasmEdge_StoreContext, CDelete<&WasmEdge_StoreDelete>>;
using ExecutorPtr = std::unique_ptr<WasmEdge_ExecutorContext, CDelete<&WasmEdge_ExecutorDelete>>;

/// A borrowed WasmEdge_String over `s` (no copy; valid while `s` is).
inline WasmEdge_String wrap(std::string_view s) noexcept {
  return WasmEdge_StringWrap(s.data(), static_cast<std::uint32_t>(s.size()));
}

/// WasmEdge's message for a result, e.g. "out of bounds memory access".
inline std::string resultMessage(WasmEdge_Result result) {
  const char* msg = WasmEdge_ResultGetMessage(result);
  return msg != nullptr ? msg : "unknown WasmEdge error";
}

/// Trap codes our host functions raise (category UserLevelError).
enum class Trap : std::uint32_t {
  kHostBug = 1,  ///< an exception escaped a host function: a Roadrunner bug
  kKeeperStop = 2,
  kNotCapable = 3,      ///< a denied WASI function whose type has no errno result to return
  kStackExhausted = 4,  ///< a host call made with too little native stack left (guest_signals.h)
};

inline WasmEdge_Result trapWith(Trap trap) noexcept {
  return WasmEdge_ResultGen(WasmEdge_ErrCategory_UserLevelError, static_cast<std::uint32_t>(trap));
}

}  // namespace rr::wasm
