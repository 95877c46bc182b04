#pragma once

// Mutual HMAC-SHA256 challenge-response on a fresh network connection, before any frame:
//
//   server -> client: "RRH1" | nonce_s (32 random bytes)
//   client -> server: nonce_c (32) | HMAC(secret, "rr-client" | nonce_s | nonce_c)
//   server -> client: HMAC(secret, "rr-server" | nonce_c | nonce_s)
//
// Each side proves it knows the shared secret without sending it; fresh nonces on both sides
// stop replays. A failed check closes the connection.

#include <string>

#include "roadrunner/base/error.h"

namespace rr::transport {

/// Errors: the peer's (socket errors, a wrong MAC: kProtocol), and libcrypto's (no randomness
/// for a nonce, a failed HMAC), which end the handshake as a failure.
[[nodiscard]] Result<> authenticateAsServer(int fd, const std::string& secret);
[[nodiscard]] Result<> authenticateAsClient(int fd, const std::string& secret);

/// The secret in a file (trailing newline dropped); empty files are an error.
[[nodiscard]] Result<std::string> readSecretFile(const std::string& path);
/// $RR_SECRET, with trailing newlines dropped as from a file (`RR_SECRET=$(cat f)` keeps none,
/// but `export RR_SECRET="$(cat f)"$'\n'` or a value from an env file may); empty if unset.
[[nodiscard]] std::string secretFromEnvironment();
/// 32 random bytes, hex-encoded: a fresh secret for one workflow run. Errors: libcrypto has no
/// randomness to give (RAND_bytes failed): never a predictable secret.
[[nodiscard]] Result<std::string> randomSecret();

}  // namespace rr::transport
