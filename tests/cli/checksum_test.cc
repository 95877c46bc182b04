// A frame whose payload fails its CRC32C reaches the sender as RR_EPROTO from a real
// `roadrunner serve`, and never reaches the handler; the same frame with the right checksum is
// delivered.

#include <array>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "roadrunner/guest/abi.h"
#include "roadrunner/proto/frame.h"
#include "roadrunner/sys/socket.h"

#include "../testing/serve_process.h"
#include "../testing/subprocess.h"

namespace rr {
namespace {

// Sends one checksummed frame to "sink" on a fresh connection and returns the response status.
std::uint32_t sendChecksummed(const std::string& path, std::span<const std::byte> payload,
                              std::uint32_t checksum) {
  auto fd = sys::connectUnix(path);
  EXPECT_TRUE(fd.has_value()) << fd.error().message();
  if (!fd) {
    return UINT32_MAX;
  }
  std::array<std::byte, proto::kRequestHeaderSize> header{};
  proto::encodeRequest({.flags = proto::kFlagChecksum,
                        .source_len = 1,
                        .target_len = 4,
                        .payload_len = payload.size(),
                        .checksum = checksum},
                       header);
  const std::string names = "xsink";
  std::array<iovec, 3> iov = {iovec{header.data(), header.size()},
                              iovec{const_cast<char*>(names.data()), names.size()},
                              iovec{const_cast<std::byte*>(payload.data()), payload.size()}};
  EXPECT_TRUE(sys::sendAll(fd->get(), iov).has_value());
  std::array<std::byte, proto::kResponseHeaderSize> raw{};
  EXPECT_TRUE(sys::recvExact(fd->get(), raw).has_value());
  auto response = proto::decodeResponse(raw);
  EXPECT_TRUE(response.has_value());
  return response ? response->status : UINT32_MAX;
}

TEST(ChecksumTest, APayloadThatFailsItsChecksumIsAProtocolError) {
  const testing::TempDir dir;
  const std::string sock = dir.file("sink.sock");
  testing::ServeProcess serve(
      RR_CLI, {RR_GUEST_HASH_RECEIVER, "--listen", "unix:" + sock, "--name", "sink"}, {},
      {"RR_CACHE_DIR=" RR_BINARY_DIR "/test-aot-cache"});
  ASSERT_TRUE(serve.ready());
  std::vector<std::byte> payload(100000);
  for (std::size_t i = 0; i < payload.size(); ++i) {
    payload[i] = static_cast<std::byte>(i * 31 + 7);
  }
  const std::uint32_t crc = proto::crc32c(payload);
  EXPECT_EQ(sendChecksummed(sock, payload, crc ^ 1U), RR_EPROTO);
  EXPECT_EQ(sendChecksummed(sock, payload, crc), RR_OK);
}

}  // namespace
}  // namespace rr
