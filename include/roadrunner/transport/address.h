#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "roadrunner/base/error.h"

namespace rr::transport {

/// Where a receiver listens: "unix:PATH" (kernel mode) or "tcp:HOST:PORT" (network mode; HOST is
/// an IPv4 address or "localhost", PORT 0 asks the kernel for one when listening). A sender may
/// also name "dns:NAME:PORT": the replicas of a receiver, every IPv4 address NAME resolves to
/// (ReplicaEndpoint), as a Kubernetes Service's name does; nothing listens on a dns: address.
struct Address {
  enum class Kind { kUnix, kTcp, kDns };
  Kind kind = Kind::kUnix;
  std::string path;  ///< kUnix
  std::string host;  ///< kTcp: an IPv4 address; kDns: the name
  std::uint16_t port = 0;

  /// unix: or tcp:, where a receiver listens or a sender connects.
  [[nodiscard]] static Result<Address> parse(std::string_view text);
  /// What a sender may name: unix:, tcp: or dns:.
  [[nodiscard]] static Result<Address> parseTarget(std::string_view text);
  [[nodiscard]] std::string str() const;
  [[nodiscard]] bool tcp() const noexcept { return kind == Kind::kTcp; }
  [[nodiscard]] bool dns() const noexcept { return kind == Kind::kDns; }
};

}  // namespace rr::transport
