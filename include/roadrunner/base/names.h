#pragma once

#include <string_view>

namespace rr {

/// Whether `name` may name a function: 1-64 characters of [A-Za-z0-9_.-]. The one rule for the
/// workflow parser, the shim's `roadrunner.io/name` and target annotations.
[[nodiscard]] bool validFunctionName(std::string_view name) noexcept;

}  // namespace rr
