#pragma once

// Flag parsing for every command, on CLI11. Each command builds its own CLI::App with
// makeApp(), adds its flags with the checks below, and calls parse(): --help prints the
// command's help and ends with 0, and anything malformed (an unknown flag, a missing or
// malformed value, a number out of range) is one line on stderr and exit status 2. A value
// that passed its check converts without error, so no command sees a half-parsed flag.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "roadrunner/base/error.h"

#include "cli.h"
#include <CLI/CLI.hpp>

namespace rr::cli {

/// What a command does with the arguments that its flags and positionals leave over.
enum class Rest {
  kNone,         ///< nothing may be left over
  kAfterDashes,  ///< everything after `--` goes to the guest (serve)
  kAfterModule,  ///< as kAfterDashes, and also everything from a second positional on (run,
                 ///< like `wasmedge FILE.wasm ARGS...`)
};

/// The CLI::App of command `name` (one of kCommands), with its usage line and summary. A flag
/// that takes one value and is given twice keeps the last value.
std::unique_ptr<CLI::App> makeApp(std::string_view name);

/// Makes `option` repeatable, one value per occurrence: `--env A=1 --env B=2`.
CLI::Option* repeatable(CLI::Option* option);

/// Parses `args` into the options of `app`. Returns the status the command ends with: 0 after
/// printing the help (--help, -h), kExitUsage after printing a usage error; std::nullopt when
/// the command goes on. For Rest::kAfterDashes and kAfterModule, `guest_args` receives the
/// guest's arguments.
std::optional<int> parse(CLI::App& app, Args args, Rest rest = Rest::kNone,
                         std::vector<std::string>* guest_args = nullptr);

/// A whole decimal number (digits only) from `min` to `max`.
CLI::Validator wholeNumber(std::uint64_t min, std::uint64_t max);

/// A comma-separated list of whole numbers, each from `min` to `max`.
CLI::Validator wholeNumberList(std::uint64_t min, std::uint64_t max);

/// Anything but the empty string.
CLI::Validator nonEmpty();

/// KEY=VALUE with a non-empty KEY.
CLI::Validator keyValue();

/// [GUEST:]HOST with neither part empty.
CLI::Validator preopen();

/// A payload size (N, NK, NM or NG; powers of 1024) below 4 GiB, as bench takes them; with
/// `list`, a comma-separated list of them.
CLI::Validator payloadSizes(bool list);

/// A stream's length: N, NK, NM or NG (powers of 1024), a multiple of 8 bytes from 8 bytes to
/// 1 TiB (no wasm32 bound: a stream never sits whole in memory). nullopt otherwise.
[[nodiscard]] std::optional<std::uint64_t> streamBytes(std::string_view text);
CLI::Validator streamSize();

/// Values accepted by `parse`, a function from std::string to Result<T>; its error's detail is
/// the message.
template <typename Parse>
CLI::Validator parsesWith(Parse parse) {
  return {[parse](std::string& value) -> std::string {
            auto parsed = parse(value);
            return parsed ? std::string() : parsed.error().detail;
          },
          ""};
}

/// Splits "a,b,,c" at commas, leaving out empty items.
std::vector<std::string> splitList(const std::string& list);

}  // namespace rr::cli
