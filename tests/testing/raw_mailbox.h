#pragma once

// A hand-written kernel-mode client that sets up a transport::Mailbox with a server, then posts
// whatever frame it likes into it: the hostile sender the server must survive.

#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include <gtest/gtest.h>

#include "roadrunner/base/try.h"
#include "roadrunner/base/unique_fd.h"
#include "roadrunner/guest/abi.h"
#include "roadrunner/proto/frame.h"
#include "roadrunner/sys/socket.h"
#include "roadrunner/transport/mailbox.h"

namespace rr::testing {

class RawMailbox {
 public:
  /// Connects to the server at socket `path`; frames name the source "x" and the target "sink".
  explicit RawMailbox(const std::string& path)
      : fd_(*sys::connectUnix(path)), box_(*transport::Mailbox::create()) {}
  /// Passes the mailbox (or `memfd` in its place) and returns the server's answer.
  proto::ResponseHeader setUp(int memfd = -1) {
    std::array<std::byte, proto::kRequestHeaderSize> raw{};
    proto::encodeRequest(
        {.flags = proto::kFlagMemfd | proto::kFlagMailbox, .source_len = 1, .target_len = 4}, raw);
    std::string names = "xsink";
    std::array<iovec, 2> iov = {iovec{raw.data(), raw.size()}, iovec{names.data(), names.size()}};
    EXPECT_TRUE(sys::sendAll(fd_.get(), iov, memfd < 0 ? box_.fd() : memfd));
    std::array<std::byte, proto::kResponseHeaderSize> answer{};
    if (!sys::recvExact(fd_.get(), answer)) {
      return {.status = RR_EUNAVAILABLE};
    }
    return proto::decodeResponse(answer).value_or(proto::ResponseHeader{.status = RR_EPROTO});
  }
  /// Posts `header`, then the names "xsink" and `payload`; waits up to `wait` for an answer.
  Result<proto::ResponseHeader> exchange(const proto::RequestHeader& header,
                                         std::span<const std::byte> payload,
                                         std::chrono::seconds wait = std::chrono::seconds(5)) {
    proto::encodeRequest(header, box_.request());
    std::memcpy(box_.request().data() + proto::kRequestHeaderSize, "xsink", 5);
    std::ranges::copy(payload, box_.request().begin() + proto::kRequestHeaderSize + 5);
    box_.postRequest(fd_.get());
    RR_RETURN_IF_ERROR(box_.awaitResponse(fd_.get(), std::chrono::steady_clock::now() + wait));
    return proto::decodeResponse(box_.response());
  }
  /// The reply's first 8 bytes.
  [[nodiscard]] std::uint64_t replyWord() const {
    std::uint64_t v = 0;
    std::memcpy(&v, box_.response().data() + proto::kResponseHeaderSize, sizeof v);
    return v;
  }
  /// Whether the server has closed the connection (bells read and dropped).
  [[nodiscard]] bool closedByServer() const { return transport::Mailbox::peerClosed(fd_.get()); }

 private:
  UniqueFd fd_;
  transport::Mailbox box_;
};

}  // namespace rr::testing
