#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "roadrunner/base/error.h"

namespace rr {

/// Permission for a guest to use TCP over IPv4 with one address: `tcp:A.B.C.D:PORT`, or
/// `tcp:A.B.C.D:*` for every port of that address (including port 0, an ephemeral bind).
///
/// A guest with at least one grant may open TCP/IPv4 sockets, connect to and bind on granted
/// addresses, and listen on a socket whose local address is granted. A guest without grants gets
/// no sockets at all (docs/security.md). Addresses are matched literally: no host names (a guest
/// never resolves names), no IPv6, no networks; 0.0.0.0 is an address like any other.
struct NetGrant {
  std::array<std::uint8_t, 4> ip{};   ///< as written: 127.0.0.1 is {127, 0, 0, 1}
  std::optional<std::uint16_t> port;  ///< 1-65535; nullopt: any port ("*")

  [[nodiscard]] bool allows(std::array<std::uint8_t, 4> to_ip,
                            std::uint16_t to_port) const noexcept;
  /// The grant as written: "tcp:127.0.0.1:8080", "tcp:10.0.0.5:*".
  [[nodiscard]] std::string str() const;
  friend bool operator==(const NetGrant&, const NetGrant&) = default;
};

/// Parses `tcp:A.B.C.D:PORT` or `tcp:A.B.C.D:*`: four decimal octets 0-255 without leading zeros,
/// a port of 1-65535 or `*`. Errors are Errc::kInvalidArgument, with a detail that quotes `text`
/// and says what a grant looks like.
[[nodiscard]] Result<NetGrant> parseNetGrant(std::string_view text);

/// True when any grant allows `ip`:`port`.
[[nodiscard]] bool netGrantsAllow(std::span<const NetGrant> grants, std::array<std::uint8_t, 4> ip,
                                  std::uint16_t port) noexcept;

}  // namespace rr
