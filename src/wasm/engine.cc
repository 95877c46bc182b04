#include "roadrunner/wasm/engine.h"

#include <cstdlib>
#include <span>

#include "roadrunner/base/file.h"
#include "roadrunner/base/try.h"
#include "roadrunner/base/wasm_magic.h"
#include "roadrunner/wasm/aot_cache.h"

#include "guest_signals.h"
#include "handles.h"
#include "signal_keeper.h"
#include "watchdog.h"

namespace rr::wasm {
namespace {

Result<> validate(std::span<const std::byte> bytes, const std::string& path) {
  const LoaderPtr loader(WasmEdge_LoaderCreate(nullptr));
  WasmEdge_ASTModuleContext* raw_ast = nullptr;
  const WasmEdge_Result parsed = WasmEdge_LoaderParseFromBuffer(
      loader.get(), &raw_ast, reinterpret_cast<const std::uint8_t*>(bytes.data()),
      static_cast<std::uint32_t>(bytes.size()));
  const AstModulePtr ast(raw_ast);
  if (!WasmEdge_ResultOK(parsed)) {
    return fail(Errc::kInvalidModule, "load", path + ": " + resultMessage(parsed));
  }
  const ValidatorPtr validator(WasmEdge_ValidatorCreate(nullptr));
  const WasmEdge_Result valid = WasmEdge_ValidatorValidate(validator.get(), ast.get());
  if (!WasmEdge_ResultOK(valid)) {
    return fail(Errc::kInvalidModule, "validate", path + ": " + resultMessage(valid));
  }
  return {};
}

}  // namespace

void quietWasmEdgeLogs() noexcept { WasmEdge_LogSetErrorLevel(); }

const char* wasmedgeVersion() noexcept { return WasmEdge_VersionGet(); }

std::string defaultCacheDir() {
  // The AOT directory itself: a workflow's runner sets it for the serving processes it starts,
  // so that they read the code it compiled (runtime/runner.cc).
  if (const char* dir = std::getenv("RR_AOT_DIR"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  if (const char* dir = std::getenv("RR_CACHE_DIR"); dir != nullptr && *dir != '\0') {
    return std::string(dir) + "/aot";
  }
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::string(xdg) + "/roadrunner/aot";
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : "/tmp") + "/.cache/roadrunner/aot";
}

Result<Engine> Engine::create(EngineOptions options) {
  WasmEdge_LogOff();  // WasmEdge logs traps to stdout; we report them ourselves.
  if (options.opt_level < 0 || options.opt_level > 3) {
    return fail(Errc::kInvalidArgument, "engine", "optimisation level must be 0..3");
  }
  if (options.cache_dir.empty()) {
    options.cache_dir = defaultCacheDir();
  }
  if (!options.interpreter) {
    RR_ASSIGN_OR_RETURN(const AotCache cache, AotCache::open(options.cache_dir, options.opt_level));
    RR_RETURN_IF_ERROR(ensureSignalKeeper(cache));
  }
  RR_RETURN_IF_ERROR(installGuestSignalHandlers(/*chain_fault_handlers=*/!options.interpreter));
  // Only an engine whose calls can be stopped needs a watchdog (made here, on the caller's
  // thread, never on an actor's: see watchdog.h).
  const bool cancellable = options.interpreter || options.interruptible;
  auto watchdog = cancellable ? std::make_shared<Watchdog>() : nullptr;
  return Engine(std::move(options), std::move(watchdog));
}

Result<Module> Engine::prepare(const std::string& path) const {
  RR_ASSIGN_OR_RETURN(const std::vector<std::byte> bytes, readFile(path));
  if (!startsLikeWasm(bytes)) {
    return fail(Errc::kNotWasm, "load", path);
  }
  if (options_.interpreter) {
    RR_RETURN_IF_ERROR(validate(bytes, path));
    return Module{.path = path, .loadable_path = path, .aot = false, .cache_hit = false};
  }
  RR_ASSIGN_OR_RETURN(const AotCache cache, AotCache::open(options_.cache_dir, options_.opt_level,
                                                           options_.interruptible));
  if (!cache.has(bytes)) {
    RR_RETURN_IF_ERROR(validate(bytes, path));  // a clear error before the compiler runs
  }
  RR_ASSIGN_OR_RETURN(const AotCache::Entry entry, cache.compiled(bytes, path));
  return Module{.path = path,
                .loadable_path = entry.path,
                .aot = true,
                .cache_hit = entry.hit,
                .cancellable = options_.interruptible};
}

}  // namespace rr::wasm
