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

/// Parses "dns:NAME:PORT": NAME is a DNS name (1-253 characters of letters, digits, '-' and '.',
/// as a Kubernetes Service's `NAME.NAMESPACE.svc.cluster.local`), resolved by the sender to every
/// IPv4 address it has; PORT is 1-65535.
[[nodiscard]] std::optional<TcpAddress> parseDnsAddress(std::string_view text);

}  // namespace rr
