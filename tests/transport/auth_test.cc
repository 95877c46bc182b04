// The secret and handshake helpers (transport/auth.h), with libcrypto failing underneath.

#define OPENSSL_SUPPRESS_DEPRECATED  // RAND_set_rand_method: the only way to make RAND_bytes fail

#include "roadrunner/transport/auth.h"

#include <sys/socket.h>

#include <string>

#include <gtest/gtest.h>
#include <openssl/rand.h>

#include "roadrunner/base/unique_fd.h"

namespace rr::transport {
namespace {

// While alive, every RAND_bytes call in this process fails.
class FailingRandom {
 public:
  FailingRandom() { RAND_set_rand_method(&kMethod); }
  ~FailingRandom() { RAND_set_rand_method(nullptr); }
  FailingRandom(const FailingRandom&) = delete;
  FailingRandom& operator=(const FailingRandom&) = delete;

 private:
  static int fail(unsigned char* /*buf*/, int /*num*/) { return 0; }
  static int status() { return 0; }
  static inline const RAND_METHOD kMethod = {.seed = nullptr,
                                             .bytes = fail,
                                             .cleanup = nullptr,
                                             .add = nullptr,
                                             .pseudorand = fail,
                                             .status = status};
};

TEST(AuthTest, RandomSecretsAreFreshHex) {
  const auto a = randomSecret();
  ASSERT_TRUE(a.has_value()) << a.error().message();
  EXPECT_EQ(a->size(), 64U);
  EXPECT_EQ(a->find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(*a, randomSecret().value_or(""));
}

TEST(AuthTest, NoRandomnessIsAnErrorNotAPredictableSecret) {
  const FailingRandom no_randomness;
  const auto secret = randomSecret();
  ASSERT_FALSE(secret.has_value()) << "a secret anyone can guess: " << *secret;
  EXPECT_NE(secret.error().message().find("RAND_bytes"), std::string::npos);
}

TEST(AuthTest, NoRandomnessForANonceFailsTheHandshake) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  const UniqueFd server(fds[0]);
  const UniqueFd client(fds[1]);
  const FailingRandom no_randomness;
  const auto r = authenticateAsServer(server.get(), "secret");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kProtocol);
}

}  // namespace
}  // namespace rr::transport
