#include "roadrunner/base/net_grant.h"

#include <algorithm>

namespace rr {
namespace {

/// A decimal number of 1-5 digits without a leading zero (except "0" itself), at most `max`.
std::optional<std::uint32_t> decimal(std::string_view s, std::uint32_t max) {
  if (s.empty() || s.size() > 5 || (s.size() > 1 && s.front() == '0')) {
    return std::nullopt;
  }
  std::uint32_t value = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return value <= max ? std::optional(value) : std::nullopt;
}

std::optional<std::array<std::uint8_t, 4>> ipv4(std::string_view s) {
  std::array<std::uint8_t, 4> ip{};
  for (std::size_t i = 0; i < ip.size(); ++i) {
    const auto dot = s.find('.');
    if ((dot == std::string_view::npos) != (i == ip.size() - 1)) {
      return std::nullopt;
    }
    const auto octet = decimal(s.substr(0, dot), 255);
    if (!octet) {
      return std::nullopt;
    }
    ip[i] = static_cast<std::uint8_t>(*octet);
    s.remove_prefix(dot == std::string_view::npos ? s.size() : dot + 1);
  }
  return ip;
}

}  // namespace

bool NetGrant::allows(std::array<std::uint8_t, 4> to_ip, std::uint16_t to_port) const noexcept {
  return ip == to_ip && (!port || *port == to_port);
}

std::string NetGrant::str() const {
  std::string out = "tcp:";
  for (std::size_t i = 0; i < ip.size(); ++i) {
    out += (i == 0 ? "" : ".") + std::to_string(ip[i]);
  }
  return out + ":" + (port ? std::to_string(*port) : "*");
}

Result<NetGrant> parseNetGrant(std::string_view text) {
  const auto bad = [&] {
    return fail(Errc::kInvalidArgument, "network grant",
                "'" + std::string(text) +
                    "' is not tcp:A.B.C.D:PORT or tcp:A.B.C.D:* (an IPv4 address and a port of "
                    "1-65535; host names and IPv6 are not supported)");
  };
  if (!text.starts_with("tcp:")) {
    return bad();
  }
  const std::string_view rest = text.substr(4);
  const auto colon = rest.rfind(':');
  if (colon == std::string_view::npos) {
    return bad();
  }
  const auto ip = ipv4(rest.substr(0, colon));
  const std::string_view port_text = rest.substr(colon + 1);
  const auto port = port_text == "*" ? std::optional<std::uint32_t>(0) : decimal(port_text, 65535);
  if (!ip || !port || (port_text != "*" && *port == 0)) {
    return bad();
  }
  NetGrant grant{.ip = *ip};
  if (port_text != "*") {
    grant.port = static_cast<std::uint16_t>(*port);
  }
  return grant;
}

bool netGrantsAllow(std::span<const NetGrant> grants, std::array<std::uint8_t, 4> ip,
                    std::uint16_t port) noexcept {
  return std::ranges::any_of(grants, [&](const NetGrant& g) { return g.allows(ip, port); });
}

}  // namespace rr
