// RR_SECRET is read as a secret file is: a trailing newline (an env file, `$(cat f)$'\n'`) is not
// part of the secret, so a sender that takes it from the environment authenticates against a
// serve that read the same secret from a file.

#include <string>

#include <gtest/gtest.h>

#include "../testing/serve_process.h"
#include "../testing/subprocess.h"

namespace rr {
namespace {

TEST(SecretTest, RrSecretWithATrailingNewlineMatchesTheFileForm) {
  const testing::TempDir dir;
  testing::writeText(dir.file("secret"), "s3cret-for-this-test\n");
  testing::writeText(dir.file("in.txt"), "hello");
  testing::ServeProcess serve(RR_CLI,
                              {RR_GUEST_HASH_RECEIVER, "--listen", "tcp:127.0.0.1:0", "--name",
                               "sink", "--secret-file", dir.file("secret")},
                              {}, {"RR_CACHE_DIR=" RR_BINARY_DIR "/test-aot-cache"});
  ASSERT_TRUE(serve.ready());
  for (const std::string value :
       {"s3cret-for-this-test\n", "s3cret-for-this-test\r\n", "s3cret-for-this-test"}) {
    const auto sent = testing::run(
        {RR_CLI, "send", "--to", serve.address(), "--target", "sink", dir.file("in.txt")},
        {"RR_SECRET=" + value});
    EXPECT_EQ(sent.exit_code, 0) << sent.err;
  }
  const auto wrong = testing::run(
      {RR_CLI, "send", "--to", serve.address(), "--target", "sink", dir.file("in.txt")},
      {"RR_SECRET=another-secret\n"});
  EXPECT_NE(wrong.exit_code, 0) << "a wrong secret must still fail";
}

}  // namespace
}  // namespace rr
