#include "roadrunner/transport/auth.h"

#include <sys/uio.h>

#include <array>
#include <cstdlib>
#include <cstring>

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "roadrunner/base/file.h"
#include "roadrunner/base/hex.h"
#include "roadrunner/base/try.h"
#include "roadrunner/sys/socket.h"

namespace rr::transport {
namespace {

using Nonce = std::array<std::byte, 32>;
using Mac = std::array<std::byte, 32>;
constexpr std::array<std::byte, 4> kHello = {std::byte{'R'}, std::byte{'R'}, std::byte{'H'},
                                             std::byte{'1'}};

// A failed HMAC leaves `out` all zeros on both sides, which would then agree without the
// secret: it is an error, never a MAC.
Result<Mac> mac(const std::string& secret, std::string_view label, const Nonce& a, const Nonce& b) {
  std::array<std::byte, 9 + 64> msg{};
  std::memcpy(msg.data(), label.data(), std::min<std::size_t>(label.size(), 9));
  std::memcpy(msg.data() + 9, a.data(), a.size());
  std::memcpy(msg.data() + 9 + 32, b.data(), b.size());
  Mac out{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
           reinterpret_cast<unsigned char*>(out.data()), &len) == nullptr ||
      len != out.size()) {
    return fail(Errc::kProtocol, "auth", "HMAC-SHA256 failed");
  }
  return out;
}

Result<Nonce> nonce() {
  Nonce n{};
  if (RAND_bytes(reinterpret_cast<unsigned char*>(n.data()), static_cast<int>(n.size())) != 1) {
    return fail(Errc::kProtocol, "auth", "no randomness for a nonce");
  }
  return n;
}

Result<> sendBytes(int fd, std::span<const std::byte> a, std::span<const std::byte> b = {}) {
  std::array<iovec, 2> iov = {iovec{const_cast<std::byte*>(a.data()), a.size()},
                              iovec{const_cast<std::byte*>(b.data()), b.size()}};
  return sys::sendAll(fd, iov);
}

bool equal(const Mac& a, const Mac& b) { return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0; }

}  // namespace

Result<> authenticateAsServer(int fd, const std::string& secret) {
  RR_ASSIGN_OR_RETURN(const Nonce server_nonce, nonce());
  RR_RETURN_IF_ERROR(sendBytes(fd, kHello, server_nonce));
  Nonce client_nonce{};
  Mac proof{};
  RR_RETURN_IF_ERROR(sys::recvExact(fd, client_nonce));
  RR_RETURN_IF_ERROR(sys::recvExact(fd, proof));
  RR_ASSIGN_OR_RETURN(const Mac expected, mac(secret, "rr-client", server_nonce, client_nonce));
  if (!equal(proof, expected)) {
    return fail(Errc::kProtocol, "auth", "peer does not know the shared secret");
  }
  RR_ASSIGN_OR_RETURN(const Mac answer, mac(secret, "rr-server", client_nonce, server_nonce));
  return sendBytes(fd, answer);
}

Result<> authenticateAsClient(int fd, const std::string& secret) {
  std::array<std::byte, 4> hello{};
  Nonce server_nonce{};
  RR_RETURN_IF_ERROR(sys::recvExact(fd, hello));
  if (hello != kHello) {
    return fail(Errc::kProtocol, "auth", "peer is not a Roadrunner server");
  }
  RR_RETURN_IF_ERROR(sys::recvExact(fd, server_nonce));
  RR_ASSIGN_OR_RETURN(const Nonce client_nonce, nonce());
  RR_ASSIGN_OR_RETURN(const Mac claim, mac(secret, "rr-client", server_nonce, client_nonce));
  RR_RETURN_IF_ERROR(sendBytes(fd, client_nonce, claim));
  Mac proof{};
  RR_RETURN_IF_ERROR(sys::recvExact(fd, proof));
  RR_ASSIGN_OR_RETURN(const Mac expected, mac(secret, "rr-server", client_nonce, server_nonce));
  if (!equal(proof, expected)) {
    return fail(Errc::kProtocol, "auth", "server does not know the shared secret");
  }
  return {};
}

namespace {
std::string withoutTrailingNewlines(std::string secret) {
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) {
    secret.pop_back();
  }
  return secret;
}
}  // namespace

std::string secretFromEnvironment() {
  const char* env = std::getenv("RR_SECRET");
  return withoutTrailingNewlines(env != nullptr ? env : "");
}

Result<std::string> readSecretFile(const std::string& path) {
  RR_ASSIGN_OR_RETURN(const auto bytes, readFile(path));
  std::string secret = withoutTrailingNewlines(
      std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  if (secret.empty()) {
    return fail(Errc::kInvalidArgument, "secret", path + " is empty");
  }
  return secret;
}

Result<std::string> randomSecret() {
  std::array<unsigned char, 32> raw{};
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
    return fail(Errc::kProtocol, "secret", "no randomness for a secret (RAND_bytes failed)");
  }
  return toHex(raw);
}

}  // namespace rr::transport
