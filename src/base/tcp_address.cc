#include "roadrunner/base/tcp_address.h"

#include <algorithm>
#include <charconv>

namespace rr {

namespace {

/// "HOST:PORT", split at the last ':'.
std::optional<TcpAddress> parseHostPort(std::string_view rest) {
  const auto colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return std::nullopt;
  }
  const std::string_view port_text = rest.substr(colon + 1);
  if (port_text.empty() || port_text.front() < '0' || port_text.front() > '9') {
    return std::nullopt;  // from_chars alone would take "-0"
  }
  std::uint16_t port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size()) {
    return std::nullopt;
  }
  return TcpAddress{.host = std::string(rest.substr(0, colon)), .port = port};
}

bool dnsName(std::string_view name) {
  if (name.empty() || name.size() > 253 || name.front() == '.' || name.front() == '-') {
    return false;
  }
  return std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
  });
}

}  // namespace

std::optional<TcpAddress> parseTcpAddress(std::string_view text) {
  if (!text.starts_with("tcp:")) {
    return std::nullopt;
  }
  return parseHostPort(text.substr(4));
}

std::optional<TcpAddress> parseDnsAddress(std::string_view text) {
  if (!text.starts_with("dns:")) {
    return std::nullopt;
  }
  auto address = parseHostPort(text.substr(4));
  if (!address || address->port == 0 || !dnsName(address->host)) {
    return std::nullopt;
  }
  return address;
}

}  // namespace rr
