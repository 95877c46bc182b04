#include "roadrunner/proto/frame.h"

#include <array>
#include <string>

#include <gtest/gtest.h>

#include "roadrunner/guest/abi.h"

namespace rr::proto {
namespace {

std::array<std::byte, kRequestHeaderSize> encoded(const RequestHeader& h) {
  std::array<std::byte, kRequestHeaderSize> buf{};
  encodeRequest(h, buf);
  return buf;
}

TEST(FrameTest, RequestRoundTrips) {
  const RequestHeader h{.flags = kFlagMemfd,
                        .source_len = 3,
                        .target_len = 7,
                        .reply_cap = 64,
                        .payload_len = 1ULL << 33,
                        .checksum = 0xABCD,
                        .memfd_page = 0xFFFFFFFF,
                        .send_ns = 123456789};
  auto d = decodeRequest(encoded(h), UINT64_MAX);
  ASSERT_TRUE(d.has_value()) << d.error().message();
  EXPECT_EQ(d->flags, kFlagMemfd);
  EXPECT_EQ(d->source_len, 3);
  EXPECT_EQ(d->target_len, 7);
  EXPECT_EQ(d->reply_cap, 64U);
  EXPECT_EQ(d->payload_len, 1ULL << 33);
  EXPECT_EQ(d->checksum, 0xABCDU);
  EXPECT_EQ(d->memfd_page, 0xFFFFFFFFU);
  EXPECT_EQ(d->send_ns, 123456789U);
}

TEST(FrameTest, ResponseRoundTrips) {
  std::array<std::byte, kResponseHeaderSize> buf{};
  encodeResponse({.status = 9, .reply_len = 77, .handler_ns = 42, .done_ns = 43, .faults = 44},
                 buf);
  auto d = decodeResponse(buf);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->status, 9U);
  EXPECT_EQ(d->reply_len, 77U);
  EXPECT_EQ(d->handler_ns, 42U);
  EXPECT_EQ(d->done_ns, 43U);
  EXPECT_EQ(d->faults, 44U);
}

TEST(FrameTest, ResponseWithAStatusThisHostDoesNotKnowIsAProtocolError) {
  std::array<std::byte, kResponseHeaderSize> buf{};
  encodeResponse({.status = RR_STATUS_MAX}, buf);
  ASSERT_TRUE(decodeResponse(buf).has_value()) << "the highest known status is accepted";
  for (const std::uint32_t status : {std::uint32_t{RR_STATUS_MAX} + 1, std::uint32_t{UINT32_MAX}}) {
    encodeResponse({.status = status, .reply_len = 8}, buf);
    auto d = decodeResponse(buf);
    ASSERT_FALSE(d.has_value()) << status;
    EXPECT_EQ(d.error().code, Errc::kProtocol);
    EXPECT_NE(d.error().message().find("status"), std::string::npos) << d.error().message();
  }
}

TEST(FrameTest, ReplyBytesFollowOnlyWhenTheReplyFitsTheSendersAndTheServersBuffer) {
  EXPECT_FALSE(replyFollows(0, 64)) << "nothing to send";
  EXPECT_TRUE(replyFollows(64, 64));
  EXPECT_FALSE(replyFollows(65, 64));
  EXPECT_FALSE(replyFollows(1, 0)) << "the sender wants no reply";
  EXPECT_TRUE(replyFollows(kMaxReply, UINT32_MAX));
  EXPECT_FALSE(replyFollows(kMaxReply + 1, UINT32_MAX)) << "over what the server buffers";
}

TEST(FrameTest, MalformedHeadersAreRejectedWithAReason) {
  const RequestHeader ok{.source_len = 1, .target_len = 1, .payload_len = 10};
  struct Case {
    std::size_t offset;
    std::byte value;
    const char* reason;
  };
  const Case cases[] = {{0, std::byte{'X'}, "wrong magic"},
                        {4, std::byte{1}, "unsupported frame version"},  // before done_ns
                        {5, std::byte{0x80}, "unknown flags"},
                        {10, std::byte{1}, "reserved"},
                        {28, std::byte{1}, "memfd page on a frame without a memfd"},
                        {6, std::byte{0}, "name length"}};
  for (const Case& c : cases) {
    auto buf = encoded(ok);
    buf[c.offset] = c.value;
    auto d = decodeRequest(buf, 1000);
    ASSERT_FALSE(d.has_value()) << c.reason;
    EXPECT_EQ(d.error().code, Errc::kProtocol);
    EXPECT_NE(d.error().message().find(c.reason), std::string::npos) << d.error().message();
  }
}

TEST(FrameTest, AMailboxFrameCarriesItsMemfdAndNothingElse) {
  const RequestHeader setup{.flags = kFlagMemfd | kFlagMailbox, .source_len = 1, .target_len = 1};
  EXPECT_TRUE(decodeRequest(encoded(setup), 1000).has_value());
  RequestHeader with_payload = setup;
  with_payload.payload_len = 1;
  RequestHeader without_memfd = setup;
  without_memfd.flags = kFlagMailbox;
  RequestHeader at_a_page = setup;
  at_a_page.memfd_page = 1;
  for (const RequestHeader& h : {with_payload, without_memfd, at_a_page}) {
    auto d = decodeRequest(encoded(h), 1000);
    ASSERT_FALSE(d.has_value());
    EXPECT_NE(d.error().message().find("mailbox frame"), std::string::npos);
  }
}

TEST(FrameTest, AStreamFrameCarriesNoMailboxAndNoReplyButMayPointIntoItsRing) {
  const RequestHeader chunk{.flags = kFlagStream, .source_len = 1, .target_len = 1};
  EXPECT_TRUE(decodeRequest(encoded(chunk), 1000).has_value());
  RequestHeader in_ring = chunk;
  in_ring.flags |= kFlagMemfd;
  in_ring.memfd_page = 256;
  in_ring.payload_len = 1000;
  auto ring = decodeRequest(encoded(in_ring), 1000);
  ASSERT_TRUE(ring.has_value());
  EXPECT_EQ(ring->memfd_page, 256U);
  RequestHeader with_reply = chunk;
  with_reply.reply_cap = 1;
  RequestHeader with_mailbox = chunk;
  with_mailbox.flags |= kFlagMemfd | kFlagMailbox;
  for (const RequestHeader& h : {with_reply, with_mailbox}) {
    auto d = decodeRequest(encoded(h), 1000);
    ASSERT_FALSE(d.has_value());
    EXPECT_NE(d.error().message().find("stream frame"), std::string::npos);
  }
}

TEST(FrameTest, StreamPartsRoundTripAndBadOnesAreRefused) {
  std::array<std::byte, kStreamPartSize> raw{};
  for (const StreamPart part : {StreamPart{.event = kStreamData}, StreamPart{.event = kStreamEnd},
                                StreamPart{.event = kStreamAbort, .abort_status = 77}}) {
    encodeStreamPart(part, raw);
    auto d = decodeStreamPart(raw, 0);
    ASSERT_TRUE(d.has_value()) << d.error().message();
    EXPECT_EQ(d->event, part.event);
    EXPECT_EQ(d->abort_status, part.abort_status);
  }
  encodeStreamPart({.event = kStreamData}, raw);
  EXPECT_TRUE(decodeStreamPart(raw, 5).has_value()) << "a chunk carries bytes";
  const auto refused = [&](StreamPart part, std::uint64_t len) {
    encodeStreamPart(part, raw);
    return !decodeStreamPart(raw, len).has_value();
  };
  EXPECT_TRUE(refused({.event = 0}, 0));
  EXPECT_TRUE(refused({.event = 4}, 0));
  EXPECT_TRUE(refused({.event = kStreamEnd}, 1)) << "an end with bytes";
  EXPECT_TRUE(refused({.event = kStreamAbort}, 0)) << "an abort without a status";
  EXPECT_TRUE(refused({.event = kStreamData, .abort_status = 3}, 0));
  EXPECT_FALSE(decodeStreamPart(std::span(raw).first(7), 0).has_value());
}

TEST(FrameTest, TruncatedHeaderIsRejected) {
  const auto buf = encoded({.source_len = 1, .target_len = 1});
  EXPECT_FALSE(decodeRequest(std::span(buf).first(kRequestHeaderSize - 1), 100).has_value());
  EXPECT_FALSE(decodeRequest({}, 100).has_value());
}

TEST(FrameTest, PayloadOverTheLimitIsRejected) {
  const auto buf = encoded({.source_len = 1, .target_len = 1, .payload_len = 4ULL << 30});
  auto d = decodeRequest(buf, 1ULL << 31);
  ASSERT_FALSE(d.has_value());
  EXPECT_NE(d.error().message().find("over the limit"), std::string::npos);
}

TEST(FrameTest, Crc32cMatchesTheStandardCheckValue) {
  const std::string s = "123456789";
  EXPECT_EQ(crc32c(std::as_bytes(std::span(s.data(), s.size()))), 0xE3069283U);
}

}  // namespace
}  // namespace rr::proto
