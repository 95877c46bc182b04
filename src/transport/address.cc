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

Result<Address> Address::parseTarget(std::string_view text) {
  if (auto dns = parseDnsAddress(text)) {
    return Address{.kind = Kind::kDns, .host = std::move(dns->host), .port = dns->port};
  }
  auto address = parse(text);
  if (!address) {
    return fail(Errc::kInvalidArgument, "address",
                "'" + std::string(text) + "' is not unix:PATH, tcp:HOST:PORT or dns:NAME:PORT");
  }
  return address;
}

std::string Address::str() const {
  switch (kind) {
    case Kind::kTcp:
      return "tcp:" + host + ":" + std::to_string(port);
    case Kind::kDns:
      return "dns:" + host + ":" + std::to_string(port);
    case Kind::kUnix:
      break;
  }
  return unixAddress(path);
}

}  // namespace rr::transport
