#include "roadrunner/base/sha256.h"

#include <openssl/evp.h>

namespace rr {

Sha256 sha256(std::span<const std::byte> bytes) {
  Sha256 out{};
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

std::string toHex(const Sha256& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digest.size() * 2);
  for (const std::uint8_t b : digest) {
    out += kHex[b >> 4U];
    out += kHex[b & 0xFU];
  }
  return out;
}

}  // namespace rr
