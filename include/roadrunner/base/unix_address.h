#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace rr {

inline constexpr std::string_view kUnixScheme = "unix:";

/// The PATH of "unix:PATH" (PATH not empty), or nothing. The one syntax for `transport::Address`,
/// the shim's registry entries and its target annotations.
[[nodiscard]] inline std::optional<std::string_view> parseUnixAddress(std::string_view text) {
  if (!text.starts_with(kUnixScheme) || text.size() == kUnixScheme.size()) {
    return std::nullopt;
  }
  return text.substr(kUnixScheme.size());
}

/// "unix:PATH".
[[nodiscard]] inline std::string unixAddress(std::string_view path) {
  return std::string(kUnixScheme) + std::string(path);
}

}  // namespace rr
