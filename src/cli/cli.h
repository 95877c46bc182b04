#pragma once

// The `roadrunner` command line: one function per sub-command, each returning the process's
// exit status. Errors print one line on stderr ("roadrunner: <what>: <why>") and return
// kExitError (or kExitUsage for bad flags); guests' own exit codes pass through.

#include <span>
#include <string>
#include <string_view>

#include "roadrunner/base/error.h"

namespace rr::cli {

inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

using Args = std::span<const std::string_view>;

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
int usageError(const std::string& message);

}  // namespace rr::cli
