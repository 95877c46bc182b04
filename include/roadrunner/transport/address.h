#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "roadrunner/base/error.h"

namespace rr::transport {

/// Where a receiver listens: "unix:PATH" (kernel mode) or "tcp:HOST:PORT" (network mode; HOST is
/// an IPv4 address or "localhost", PORT 0 asks the kernel for one when listening).
struct Address {
  enum class Kind { kUnix, kTcp };
  Kind kind = Kind::kUnix;
  std::string path;  ///< kUnix
  std::string host;  ///< kTcp
  std::uint16_t port = 0;

  [[nodiscard]] static Result<Address> parse(std::string_view text);
  [[nodiscard]] std::string str() const;
  [[nodiscard]] bool tcp() const noexcept { return kind == Kind::kTcp; }
};

}  // namespace rr::transport
