#include "roadrunner/base/sha256.h"

#include <cstdio>
#include <cstdlib>

#include <openssl/evp.h>

namespace rr {

Sha256 sha256(std::span<const std::byte> bytes) {
  Sha256 out{};
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != out.size()) {
    // Only out of memory or a broken libcrypto gets here. Every input would then share the
    // all-zero digest, and AOT cache entries would be taken for each other: stop instead.
    std::fputs("roadrunner: fatal: SHA-256 (EVP_Digest) failed\n", stderr);
    std::abort();
  }
  return out;
}

}  // namespace rr
