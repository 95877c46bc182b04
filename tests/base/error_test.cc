#include "roadrunner/base/error.h"

#include <fcntl.h>

#include <gtest/gtest.h>

#include "roadrunner/base/sha256.h"
#include "roadrunner/base/unique_fd.h"

namespace rr {
namespace {

TEST(ErrorTest, MessageNamesOperationDetailAndCause) {
  const Error e = Error::fromErrno("open", ENOENT, "/x.wasm");
  EXPECT_EQ(e.message(), "open /x.wasm: No such file or directory");
}

TEST(ErrorTest, RoadrunnerCodesCompareAgainstTheirEnum) {
  const Error e = Error::make(Errc::kNotWasm, "load", "a.txt");
  EXPECT_EQ(e.code, Errc::kNotWasm);
  EXPECT_NE(e.code, Errc::kTrap);
  EXPECT_EQ(e.message(), "load a.txt: not a WebAssembly module");
}

TEST(UniqueFdTest, ClosesOnDestructionAndTreatsZeroAsValid) {
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  {
    const UniqueFd owner(fd);
    EXPECT_TRUE(owner.valid());
  }
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);  // closed
  UniqueFd zero(0);
  EXPECT_TRUE(zero.valid());
  EXPECT_EQ(zero.release(), 0);  // released, so stdin stays open
}

TEST(Sha256Test, MatchesKnownDigestOfAbc) {
  const std::string abc = "abc";
  EXPECT_EQ(toHex(sha256(std::as_bytes(std::span(abc.data(), abc.size())))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace rr
