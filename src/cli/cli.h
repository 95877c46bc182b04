#pragma once

// The `roadrunner` command line: one function per sub-command, each returning the process's
// exit status. Errors print one line on stderr ("roadrunner: <what>: <why>") and return
// kExitError (or kExitUsage for bad flags); guests' own exit codes pass through.

#include <array>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "roadrunner/base/error.h"
#include "roadrunner/sys/interrupt.h"

namespace rr::cli {

inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

using Args = std::span<const std::string_view>;

/// One command as `roadrunner --help` lists it and its own --help begins.
struct CommandHelp {
  std::string_view name;
  std::string_view synopsis;  ///< what follows `roadrunner NAME`: every flag it takes
  std::string_view summary;
};

inline constexpr std::array<CommandHelp, 9> kCommands = {{
    {"run",
     "FILE.wasm [--env K=V]... [--dir [GUEST:]HOST]... [--allow-net tcp:A.B.C.D:PORT]... "
     "[--interpreter] [--memory-limit-mib N] [-- ARGS...]",
     "run a WASI command function, like `wasmedge FILE.wasm`"},
    {"compile", "[-O0|-O1|-O2|-O3] FILE.wasm...",
     "AOT-compile modules into the cache, so that later runs start at once"},
    {"up",
     "WORKFLOW.json [--stats] [--interpreter] [-O0|-O1|-O2|-O3] [--no-prefix] "
     "[--memfd-threshold BYTES] [--memfd-copy]",
     "run the functions of a workflow, wired as it declares"},
    {"serve",
     "FUNCTION.wasm --listen unix:PATH|tcp:HOST:PORT [--name NAME] [--secret-file FILE] "
     "[--target NAME=ADDRESS]... [--known NAME]... [--max-payload BYTES] [--timeout SECONDS] "
     "[--handler-timeout-ms MS] [--allow-uid UID]... [--memfd-copy] [--memory-limit-mib N] "
     "[--env K=V]... [--dir [GUEST:]HOST]... [--allow-net tcp:A.B.C.D:PORT]... [--interpreter] "
     "[-O0|-O1|-O2|-O3] [--ready-fd FD] [--parent PID] [-- ARGS...]",
     "host one receiving function on a UNIX socket (kernel mode) or a TCP port (network mode) "
     "until SIGTERM or SIGINT"},
    {"send",
     "--to unix:PATH|tcp:HOST:PORT [--target NAME] [--memfd] [--secret-file FILE] "
     "[--timeout SECONDS] FILE",
     "deliver a file to a served function; its reply goes to stdout"},
    {"demo", "[--mib N]",
     "two pipelines in one process on generated input: an image through producer -> transform "
     "-> encoder, then N MiB of text (64 by default) through producer -> counter; with what "
     "moved, how fast, and how many copies the host made"},
    {"bench",
     "[--quick] [--modes SYSTEM,...] [--sizes SIZE,...] [--runs N] [--fanout N,...] "
     "[--fanout-size SIZE] [--splice-threshold SIZE] [--network-host IP] [--serve-netns NAME] "
     "[--json FILE]",
     "transfer latency of the systems embedded, kernel, kernel-memfd, kernel-memfd-copy, "
     "network, native-http, redis and wasmedge-http, beside the same run's memcpy, AF_UNIX, "
     "memfd and loopback TCP limits"},
    {"soak", "[--small N] [--large N] [--large-size BYTES] [--modes MODE,...]",
     "many transfers per mode (embedded, kernel, kernel-memfd, network); fails if memory or "
     "descriptors grow"},
    {"version", "", "print Roadrunner's and WasmEdge's versions"},
}};

/// Word-wraps `text` to 100 columns, for a first line that starts at column `column`; later
/// lines start at column `indent`. It breaks only outside brackets, so `[--env K=V]` stays
/// whole.
std::string wrap(std::string_view text, std::size_t column, std::size_t indent);

int runCommand(Args args);
int compileCommand(Args args);
int versionCommand(Args args);
int upCommand(Args args);
int demoCommand(Args args);
int benchCommand(Args args);
int serveCommand(Args args);
int sendCommand(Args args);
int soakCommand(Args args);

/// Where the build put guests and examples (<build>/guests).
std::string guestDir();

/// Prints "roadrunner: <message>" on stderr and returns `code`.
int reportError(const Error& error, int code = kExitError);
/// For `up`: from now on SIGINT or SIGTERM ends the
/// process at once, exit status 128 + the signal, after one line on stderr and the removal of
/// every run's socket directory; the serving processes die with it (`serve --parent`). Call it
/// before the command starts any thread; keep the result until the command returns. Not for a
/// command that forks children which start threads (`bench`'s baselines): the watcher's thread
/// would make it fork a multi-threaded process.
[[nodiscard]] std::unique_ptr<sys::InterruptWatcher> endRunsOnInterrupt(std::string command);
int usageError(const std::string& message);

}  // namespace rr::cli
