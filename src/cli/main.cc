// Entry point of the `roadrunner` command. No exception leaves main().

#include <array>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "roadrunner/base/log.h"

#include "cli.h"

namespace {

using Handler = int (*)(rr::cli::Args);

Handler handlerOf(std::string_view command) {
  static constexpr std::array<std::pair<std::string_view, Handler>, rr::cli::kCommands.size()>
      kHandlers = {{
          {"run", rr::cli::runCommand},
          {"compile", rr::cli::compileCommand},
          {"up", rr::cli::upCommand},
          {"serve", rr::cli::serveCommand},
          {"send", rr::cli::sendCommand},
          {"demo", rr::cli::demoCommand},
          {"bench", rr::cli::benchCommand},
          {"soak", rr::cli::soakCommand},
          {"version", rr::cli::versionCommand},
      }};
  for (const auto& [name, handler] : kHandlers) {
    if (name == command) {
      return handler;
    }
  }
  return nullptr;
}

// Every command with every flag it takes (from rr::cli::kCommands, which each command's own
// --help also starts from).
std::string usage() {
  std::string out =
      "usage: roadrunner COMMAND [ARGS...]\n"
      "       roadrunner COMMAND --help      (a command's flags, each explained)\n"
      "\n"
      "commands:\n";
  for (const auto& command : rr::cli::kCommands) {
    const std::string head = "  " + std::string(command.name);
    out += head;
    if (!command.synopsis.empty()) {
      out += " " + rr::cli::wrap(command.synopsis, head.size() + 1, 6);
    }
    out += "\n        " + rr::cli::wrap(command.summary, 8, 8) + "\n";
  }
  out += "\n" +
         rr::cli::wrap(
             "environment: RR_CACHE_DIR (the AOT cache's directory), RR_LOG "
             "(trace|debug|info|warn|error|off), RR_SECRET (serve and send: the "
             "network secret where --secret-file is not given)",
             0, 2) +
         "\n";
  return out;
}

int dispatch(std::span<const std::string_view> argv) {
  if (argv.empty()) {
    std::fputs(usage().c_str(), stderr);
    return rr::cli::kExitUsage;
  }
  const std::string_view command = argv[0];
  if (command == "help" || command == "--help" || command == "-h") {
    if (argv.size() > 1 && handlerOf(argv[1]) != nullptr) {  // help COMMAND
      const std::array<std::string_view, 1> help = {"--help"};
      return handlerOf(argv[1])(help);
    }
    std::fputs(usage().c_str(), stdout);
    return 0;
  }
  if (command == "--version") {
    return rr::cli::versionCommand(argv.subspan(1));
  }
  if (const Handler handler = handlerOf(command)) {
    return handler(argv.subspan(1));
  }
  return rr::cli::usageError("unknown command '" + std::string(command) +
                             "' (see roadrunner --help)");
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
