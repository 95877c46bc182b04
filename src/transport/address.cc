#include "roadrunner/transport/address.h"

#include "roadrunner/base/tcp_address.h"
#include "roadrunner/base/unix_address.h"

namespace rr::transport {

Result<Address> Address::parse(std::string_view text) {
  const auto bad = [&] {
    return fail(Errc::kInvalidArgument, "address",
                "'" + std::string(text) + "' is not unix:PATH or tcp:HOST:PORT");
  };
  if (const auto path = parseUnixAddress(text)) {
    return Address{.kind = Kind::kUnix, .path = std::string(*path)};
  }
  auto tcp = parseTcpAddress(text);
  if (!tcp) {
    return bad();
  }
  std::string host = std::move(tcp->host);
  if (host == "localhost") {
    host = "127.0.0.1";
  }
  return Address{.kind = Kind::kTcp, .host = std::move(host), .port = tcp->port};
}

std::string Address::str() const {
  return tcp() ? "tcp:" + host + ":" + std::to_string(port) : unixAddress(path);
}

}  // namespace rr::transport
