#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "cli.h"
#include "roadrunner/base/net_grant.h"
#include "roadrunner/wasm/engine.h"
#include "roadrunner/wasm/instance.h"

namespace rr::cli {

int reportError(const Error& error, int code) {
  std::fprintf(stderr, "roadrunner: %s\n", error.message().c_str());
  return code;
}

int usageError(const std::string& message) {
  std::fprintf(stderr, "roadrunner: %s\n", message.c_str());
  return kExitUsage;
}

int versionCommand(Args /*args*/) {
  std::printf("roadrunner 0.1.0 (WasmEdge %s)\n", wasm::wasmedgeVersion());
  return 0;
}

int runCommand(Args args) {
  std::string file;
  wasm::EngineOptions engine_options;
  wasm::InstanceOptions options;
  bool guest_args = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    const auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= args.size()) {
        return std::nullopt;
      }
      return std::string(args[++i]);
    };
    if (guest_args) {
      options.args.emplace_back(arg);
    } else if (arg == "--") {
      guest_args = true;
    } else if (arg == "--env") {
      auto kv = value();
      if (!kv || kv->find('=') == std::string::npos) {
        return usageError("--env needs KEY=VALUE");
      }
      options.env.push_back(*kv);
    } else if (arg == "--dir") {
      auto dir = value();
      if (!dir || dir->empty()) {
        return usageError("--dir needs [GUEST:]HOST");
      }
      options.dirs.push_back(dir->find(':') == std::string::npos ? *dir + ":" + *dir : *dir);
    } else if (arg == "--interpreter") {
      engine_options.interpreter = true;
    } else if (arg == "--allow-net") {
      auto grant = parseNetGrant(value().value_or(""));
      if (!grant) {
        return reportError(grant.error(), kExitUsage);
      }
      options.net_grants.push_back(*grant);
    } else if (arg.starts_with("-")) {
      return usageError("run: unknown flag '" + std::string(arg) + "'");
    } else if (file.empty()) {
      file = arg;
    } else {
      options.args.emplace_back(arg);  // like wasmedge: arguments after the module go to it
      guest_args = true;
    }
  }
  if (file.empty()) {
    return usageError("run: no module given (roadrunner run FILE.wasm)");
  }
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
  wasm::EngineOptions engine_options;
  std::vector<std::string> files;
  for (const std::string_view arg : args) {
    if (arg.starts_with("-O") && arg.size() == 3 && arg[2] >= '0' && arg[2] <= '3') {
      engine_options.opt_level = arg[2] - '0';
    } else if (arg.starts_with("-")) {
      return usageError("compile: unknown flag '" + std::string(arg) + "'");
    } else {
      files.emplace_back(arg);
    }
  }
  if (files.empty()) {
    return usageError("compile: no module given (roadrunner compile FILE.wasm...)");
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
