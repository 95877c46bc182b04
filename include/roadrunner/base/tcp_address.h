#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rr {

/// The parts of "tcp:HOST:PORT", as written.
struct TcpAddress {
  std::string host;
  std::uint16_t port = 0;
};

/// Parses "tcp:HOST:PORT": HOST is what stands before the last ':' and is not empty (it is not
/// resolved here); PORT is decimal digits only, 0-65535. Port 0 (the kernel picks one when
/// listening) is left to the caller to allow or refuse. The one syntax for `transport::Address`
/// and the shim's `roadrunner.io/listen` and target annotations.
[[nodiscard]] std::optional<TcpAddress> parseTcpAddress(std::string_view text);

}  // namespace rr
