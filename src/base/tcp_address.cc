#include "roadrunner/base/tcp_address.h"

#include <charconv>

namespace rr {

std::optional<TcpAddress> parseTcpAddress(std::string_view text) {
  if (!text.starts_with("tcp:")) {
    return std::nullopt;
  }
  const std::string_view rest = text.substr(4);
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

}  // namespace rr
