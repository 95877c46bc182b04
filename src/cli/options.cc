#include "options.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ranges>

#include "../../bench/harness/harness.h"

namespace rr::cli {
namespace {

constexpr std::size_t kWidth = 100;
constexpr std::size_t kHelpColumn = 34;  // where a flag's description starts in --help

// The help of `app`, wrapped to kWidth columns.
std::string help(CLI::App& app) {
  for (CLI::Option* option : app.get_options()) {
    if (option->get_positional()) {
      option->type_name("");
    }
    // CLI11 starts each line after the first at kHelpColumn itself.
    std::string text = wrap(option->get_description(), kHelpColumn, kHelpColumn);
    for (std::size_t at = 0; (at = text.find('\n', at)) != std::string::npos; ++at) {
      text.erase(at + 1, kHelpColumn);
    }
    option->description(text);
  }
  app.footer(wrap(app.get_footer(), 0, 0));
  return app.help();
}

std::optional<std::uint64_t> decimal(std::string_view text) {
  std::uint64_t value = 0;
  if (text.empty() || !std::ranges::all_of(text, [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::string range(std::uint64_t min, std::uint64_t max) {
  return max == UINT64_MAX
             ? "a whole number"
             : "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
}

std::string checkNumber(std::string_view text, std::uint64_t min, std::uint64_t max) {
  const auto value = decimal(text);
  if (!value || *value < min || *value > max) {
    return "'" + std::string(text) + "' is not " + range(min, max);
  }
  return {};
}

bool looksLikeFlag(std::string_view arg) { return arg.starts_with("-"); }

}  // namespace

std::string wrap(std::string_view text, std::size_t column, std::size_t indent) {
  // Break points: spaces outside brackets.
  std::vector<std::string_view> words;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || (text[i] == ' ' && depth == 0)) {
      if (i > start) {
        words.push_back(text.substr(start, i - start));
      }
      start = i + 1;
    } else if (text[i] == '[') {
      ++depth;
    } else if (text[i] == ']') {
      --depth;
    }
  }
  std::string out;
  std::size_t at = column;
  for (const auto word : words) {
    if (!out.empty() && at + 1 + word.size() > kWidth) {
      out += "\n" + std::string(indent, ' ');
      at = indent;
    } else if (!out.empty()) {
      out += ' ';
      ++at;
    }
    out += word;
    at += word.size();
  }
  return out;
}

std::unique_ptr<CLI::App> makeApp(std::string_view name) {
  const auto* command = std::ranges::find(kCommands, name, &CommandHelp::name);
  const std::string full = "roadrunner " + std::string(name);
  auto app = std::make_unique<CLI::App>("", full);
  if (command != kCommands.end()) {
    const std::string usage = "usage: " + full;
    app->usage(usage + " " + wrap(command->synopsis, usage.size() + 1, usage.size() + 1) + "\n\n" +
               wrap(command->summary, 0, 0));
  }
  app->option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)->group("Flags");
  app->set_help_flag("-h,--help", "print this help and exit");
  app->get_formatter()->column_width(kHelpColumn);
  app->get_formatter()->label("Positionals", "Arguments");
  app->get_formatter()->label("REQUIRED", "(required)");
  // Left-over arguments are ours to judge (parse()), so that an unknown flag gets one message.
  app->allow_extras();
  return app;
}

CLI::Option* repeatable(CLI::Option* option) {
  return option->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

std::optional<int> parse(CLI::App& app, Args args, Rest rest,
                         std::vector<std::string>* guest_args) {
  // `--` ends the flags: what follows is the guest's, whatever it looks like.
  auto dashes = std::ranges::find(args, std::string_view("--"));
  if (rest == Rest::kNone) {
    dashes = args.end();
  }
  if (rest == Rest::kAfterModule) {
    app.prefix_command();  // the first argument after the module starts the guest's
  }
  // CLI11 takes its arguments in reverse order.
  std::vector<std::string> reversed(std::make_reverse_iterator(dashes),
                                    std::make_reverse_iterator(args.begin()));
  const std::string command = app.get_name().substr(app.get_name().find(' ') + 1);
  // An unknown flag is the likeliest mistake (a typo), so it is reported first.
  const auto unknownFlag = [&]() -> std::optional<int> {
    for (const auto& arg : app.remaining()) {
      if (looksLikeFlag(arg)) {
        return usageError(command + ": unknown flag '" + arg + "' (see roadrunner " + command +
                          " --help)");
      }
      if (rest == Rest::kAfterModule) {
        break;  // run: the guest's arguments start here
      }
    }
    return std::nullopt;
  };
  try {
    app.parse(std::move(reversed));
  } catch (const CLI::CallForHelp&) {
    std::fputs(help(app).c_str(), stdout);
    return 0;
  } catch (const CLI::ParseError& e) {
    if (auto status = unknownFlag()) {
      return status;
    }
    std::string message = e.what();
    if (message.ends_with(" missing")) {  // "--timeout: 1 required SECONDS missing"
      message = message.substr(0, message.find(": ")) + ": needs a value";
    }
    return usageError(command + ": " + message);
  }
  if (auto status = unknownFlag()) {
    return status;
  }
  if (rest != Rest::kAfterModule && !app.remaining().empty()) {
    return usageError(command + ": unexpected argument '" + app.remaining().front() + "'");
  }
  if (guest_args != nullptr) {
    // run: arguments after the module are the guest's, and so is a `--` among them.
    *guest_args = app.remaining();
    if (dashes != args.end()) {
      if (!guest_args->empty()) {
        guest_args->emplace_back("--");
      }
      guest_args->insert(guest_args->end(), dashes + 1, args.end());
    }
  }
  return std::nullopt;
}

CLI::Validator wholeNumber(std::uint64_t min, std::uint64_t max) {
  return {[min, max](std::string& value) { return checkNumber(value, min, max); }, ""};
}

CLI::Validator wholeNumberList(std::uint64_t min, std::uint64_t max) {
  return {[min, max](std::string& value) -> std::string {
            const auto items = splitList(value);
            if (items.empty()) {
              return "'" + value + "' is empty";
            }
            for (const auto& item : items) {
              if (auto error = checkNumber(item, min, max); !error.empty()) {
                return error;
              }
            }
            return {};
          },
          ""};
}

CLI::Validator nonEmpty() {
  return {
      [](std::string& value) { return value.empty() ? "needs a non-empty value" : std::string(); },
      ""};
}

CLI::Validator keyValue() {
  return {[](std::string& value) -> std::string {
            return value.find('=') == std::string::npos || value.front() == '='
                       ? "'" + value + "' is not KEY=VALUE"
                       : std::string();
          },
          ""};
}

CLI::Validator preopen() {
  return {[](std::string& value) -> std::string {
            const auto colon = value.find(':');
            return value.empty() || colon == 0 || colon + 1 == value.size()
                       ? "'" + value + "' is not [GUEST:]HOST"
                       : std::string();
          },
          ""};
}

CLI::Validator payloadSizes(bool list) {
  return {[list](std::string& value) -> std::string {
            const auto items = splitList(value);
            if (items.empty() || (!list && items.size() > 1)) {
              return "'" + value + "' is not " + (list ? "a list of sizes" : "one size");
            }
            for (std::string_view item : items) {
              if (!item.empty() && std::string_view("KkMmGg").contains(item.back())) {
                item.remove_suffix(1);
              }
              const auto n = decimal(item);
              if (!n) {
                return "'" + value + "' is not " + (list ? "a list of sizes" : "a size") +
                       " (N, NK, NM or NG)";
              }
              if (*n >= (1ULL << 32U)) {  // and so no overflow in parseSizes
                return "'" + value + "' is not below 4 GiB";
              }
            }
            auto sizes = bench::parseSizes(value);
            return sizes ? std::string() : sizes.error().detail;
          },
          ""};
}

std::optional<std::uint64_t> streamBytes(std::string_view text) {
  std::uint64_t unit = 1;
  if (!text.empty() && std::string_view("KkMmGg").contains(text.back())) {
    const char s = static_cast<char>(std::tolower(static_cast<unsigned char>(text.back())));
    unit = s == 'k' ? 1ULL << 10U : s == 'm' ? 1ULL << 20U : 1ULL << 30U;
    text.remove_suffix(1);
  }
  const auto n = decimal(text);
  if (!n || *n == 0 || *n > (1ULL << 40U) / unit || (*n * unit) % 8 != 0) {
    return std::nullopt;
  }
  return *n * unit;
}

CLI::Validator streamSize() {
  return {[](std::string& value) -> std::string {
            return streamBytes(value) ? std::string()
                                      : "'" + value +
                                            "' is not a stream length (N, NK, NM or NG; a "
                                            "multiple of 8 bytes, up to 1 TiB)";
          },
          ""};
}

std::vector<std::string> splitList(const std::string& list) {
  std::vector<std::string> items;
  for (const auto item : std::views::split(list, ',')) {
    if (!item.empty()) {
      items.emplace_back(item.begin(), item.end());
    }
  }
  return items;
}

}  // namespace rr::cli
