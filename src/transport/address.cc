#include "roadrunner/transport/address.h"

#include <charconv>

namespace rr::transport {

Result<Address> Address::parse(std::string_view text) {
  const auto bad = [&] {
    return fail(Errc::kInvalidArgument, "address",
                "'" + std::string(text) + "' is not unix:PATH or tcp:HOST:PORT");
  };
  if (text.starts_with("unix:") && text.size() > 5) {
    return Address{.kind = Kind::kUnix, .path = std::string(text.substr(5))};
  }
  if (!text.starts_with("tcp:")) {
    return bad();
  }
  const std::string_view rest = text.substr(4);
  const auto colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return bad();
  }
  std::uint16_t port = 0;
  const std::string_view port_text = rest.substr(colon + 1);
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size()) {
    return bad();
  }
  std::string host(rest.substr(0, colon));
  if (host == "localhost") {
    host = "127.0.0.1";
  }
  return Address{.kind = Kind::kTcp, .host = std::move(host), .port = port};
}

std::string Address::str() const {
  return tcp() ? "tcp:" + host + ":" + std::to_string(port) : "unix:" + path;
}

}  // namespace rr::transport
