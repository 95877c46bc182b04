#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "roadrunner/base/net_grant.h"
#include "roadrunner/wasm/engine.h"
#include "roadrunner/wasm/instance.h"

#include "cli.h"
#include "options.h"

namespace rr::cli {

int reportError(const Error& error, int code) {
  std::fprintf(stderr, "roadrunner: %s\n", error.message().c_str());
  return code;
}

int usageError(const std::string& message) {
  std::fprintf(stderr, "roadrunner: %s\n", message.c_str());
  return kExitUsage;
}

int versionCommand(Args args) {
  const auto app = makeApp("version");
  if (auto status = parse(*app, args)) {
    return *status;
  }
  std::printf("roadrunner 0.1.0 (WasmEdge %s)\n", wasm::wasmedgeVersion());
  return 0;
}

int runCommand(Args args) {
  const auto app = makeApp("run");
  std::string file;
  std::vector<std::string> grants;
  wasm::EngineOptions engine_options;
  wasm::InstanceOptions options;
  app->add_option("FILE.wasm", file, "the module: a WASI command (it exports _start)")->required();
  repeatable(app->add_option("--env", options.env, "an environment variable for the guest"))
      ->type_name("K=V")
      ->check(keyValue());
  repeatable(app->add_option("--dir", options.dirs,
                             "a WASI preopen: the host directory HOST as GUEST (DIR alone: the "
                             "same path on both sides)"))
      ->type_name("[GUEST:]HOST")
      ->check(preopen());
  repeatable(app->add_option("--allow-net", grants,
                             "an IPv4 address and port (or *) the guest may connect to, bind "
                             "and listen on through WASI sockets; without it, none"))
      ->type_name("tcp:A.B.C.D:PORT")
      ->check(parsesWith(parseNetGrant));
  app->add_flag("--interpreter", engine_options.interpreter,
                "run with WasmEdge's interpreter instead of the AOT cache");
  std::uint32_t memory_limit_mib = 0;
  app->add_option("--memory-limit-mib", memory_limit_mib,
                  "cap the guest's linear memory (1 to 4096; default WasmEdge's 4 GiB)")
      ->type_name("N")
      ->check(wholeNumber(1, 4096));
  app->footer(
      "Arguments after FILE.wasm, or after --, go to the guest (its argv[0] is FILE.wasm's file "
      "name). The exit status is the guest's.");
  if (auto status = parse(*app, args, Rest::kAfterModule, &options.args)) {
    return *status;
  }
  for (auto& dir : options.dirs) {
    dir = dir.find(':') == std::string::npos ? dir + ":" + dir : dir;
  }
  for (const auto& grant : grants) {
    options.net_grants.push_back(*parseNetGrant(grant));
  }
  options.max_memory_pages = memory_limit_mib * 16;  // 64 KiB pages; 0: no cap
  // Like wasmedge, the guest's argv[0] is the module's file name.
  options.args.insert(options.args.begin(), std::filesystem::path(file).filename().string());

  auto engine = wasm::Engine::create(engine_options);
  if (!engine) {
    return reportError(engine.error());
  }
  auto module = engine->prepare(file);
  if (!module) {
    return reportError(module.error());
  }
  auto instance = wasm::Instance::create(*engine, *module, std::move(options));
  if (!instance) {
    return reportError(instance.error());
  }
  std::fflush(stdout);
  auto exit_code = instance->runStart();
  if (!exit_code) {
    return reportError(exit_code.error());
  }
  return *exit_code;
}

int compileCommand(Args args) {
  const auto app = makeApp("compile");
  wasm::EngineOptions engine_options;
  std::vector<std::string> files;
  app->add_option("FILE.wasm", files, "the modules to compile")->required();
  app->add_option("-O", engine_options.opt_level, "the optimisation level (default 2)")
      ->type_name("LEVEL")
      ->check(wholeNumber(0, 3));
  app->footer("Each module's line says whether it was cached or compiled, and where to.");
  if (auto status = parse(*app, args)) {
    return *status;
  }
  auto engine = wasm::Engine::create(engine_options);
  if (!engine) {
    return reportError(engine.error());
  }
  for (const auto& file : files) {
    auto module = engine->prepare(file);
    if (!module) {
      return reportError(module.error());
    }
    std::printf("%s: %s %s\n", file.c_str(), module->cache_hit ? "cached" : "compiled",
                module->loadable_path.c_str());
  }
  return 0;
}

}  // namespace rr::cli
