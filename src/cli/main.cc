// Entry point of the `roadrunner` command. No exception leaves main().

#include <cstdio>
#include <exception>
#include <string_view>
#include <vector>

#include "cli.h"
#include "roadrunner/base/log.h"

namespace {

constexpr std::string_view kUsage = R"(usage: roadrunner COMMAND [ARGS]

commands:
  run FILE.wasm [--env K=V]... [--dir [GUEST:]HOST]... [--allow-net tcp:IP:PORT]...
        [--interpreter] [-- ARGS...]
                      run a WASI command function, like `wasmedge FILE.wasm`
  compile FILE.wasm...  AOT-compile modules into the cache (later runs start at once)
  up WORKFLOW.json [--stats] [--interpreter] [--no-prefix] [--memfd-threshold BYTES]
        [--memfd-copy]
                      run the functions of a workflow, wired as it declares
  demo [--mib=N]      the text pipeline end to end, with what moved and how fast
  serve FUNCTION.wasm --listen unix:PATH [--name N] [--target NAME=unix:PATH]...
        [--max-payload BYTES] [--allow-uid UID]... [--memfd-copy] [--env K=V]... [--dir D]...
        [--allow-net tcp:IP:PORT]... [--secret-file F] [--timeout S] [--handler-timeout-ms MS]
        [-- ARGS...]
                      host a receiving function for kernel-mode senders until SIGTERM
  send --to unix:PATH [--target NAME] [--memfd] FILE
                      deliver a file to a served function; its reply goes to stdout
  bench [--modes embedded,kernel,kernel-memfd,kernel-memfd-copy,network]
        [--fanout N,...] [--fanout-size 10M] [--sizes 1M,16M,100M,500M] [--runs N] [--quick] [--json FILE]
                      transfer latency beside the same run's memcpy limits
  soak [--small N] [--large N] [--large-size BYTES] [--modes LIST]
                      many transfers per mode; fails if memory or descriptors grow
  version             print Roadrunner's and WasmEdge's versions

environment: RR_CACHE_DIR (AOT cache), RR_LOG (trace|debug|info|warn|error|off)
)";

int dispatch(std::span<const std::string_view> argv) {
  if (argv.empty() || argv[0] == "help" || argv[0] == "--help" || argv[0] == "-h") {
    std::fputs(kUsage.data(), argv.empty() ? stderr : stdout);
    return argv.empty() ? rr::cli::kExitUsage : 0;
  }
  const std::string_view command = argv[0];
  const auto rest = argv.subspan(1);
  if (command == "run") {
    return rr::cli::runCommand(rest);
  }
  if (command == "compile") {
    return rr::cli::compileCommand(rest);
  }
  if (command == "up") {
    return rr::cli::upCommand(rest);
  }
  if (command == "serve") {
    return rr::cli::serveCommand(rest);
  }
  if (command == "send") {
    return rr::cli::sendCommand(rest);
  }
  if (command == "soak") {
    return rr::cli::soakCommand(rest);
  }
  if (command == "bench") {
    return rr::cli::benchCommand(rest);
  }
  if (command == "demo") {
    return rr::cli::demoCommand(rest);
  }
  if (command == "version" || command == "--version") {
    return rr::cli::versionCommand(rest);
  }
  return rr::cli::usageError("unknown command '" + std::string(command) +
                             "' (try: roadrunner help)");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    rr::log::init();
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    return dispatch(args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "roadrunner: internal error: %s\n", e.what());
  } catch (...) {
    std::fputs("roadrunner: internal error\n", stderr);
  }
  return rr::cli::kExitError;
}
