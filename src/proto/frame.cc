#include "roadrunner/proto/frame.h"

#include <array>
#include <cstring>

#include "roadrunner/guest/abi.h"

namespace rr::proto {
namespace {

template <typename T>
void put(std::span<std::byte> out, std::size_t at, T v) noexcept {
  std::memcpy(out.data() + at, &v, sizeof v);  // x86-64 and the wire are little-endian
}

template <typename T>
T get(std::span<const std::byte> in, std::size_t at) noexcept {
  T v{};
  std::memcpy(&v, in.data() + at, sizeof v);
  return v;
}

std::unexpected<Error> bad(const char* why) { return fail(Errc::kProtocol, "frame", why); }

constexpr std::array<std::uint32_t, 256> makeCrcTable() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) {
      c = (c & 1U) != 0 ? 0x82F63B78U ^ (c >> 1U) : c >> 1U;
    }
    t[i] = c;
  }
  return t;
}
constexpr auto kCrcTable = makeCrcTable();

}  // namespace

// Layout: magic u32 @0, version u8 @4, flags u8 @5, source_len u16 @6, target_len u16 @8,
// reserved u16 @10, reply_cap u32 @12, payload_len u64 @16, checksum u32 @24, memfd_page u32 @28,
// send_ns u64 @32.
void encodeRequest(const RequestHeader& h, std::span<std::byte> out) noexcept {
  std::memset(out.data(), 0, kRequestHeaderSize);
  put(out, 0, kRequestMagic);
  put(out, 4, kVersion);
  put(out, 5, h.flags);
  put(out, 6, h.source_len);
  put(out, 8, h.target_len);
  put(out, 12, h.reply_cap);
  put(out, 16, h.payload_len);
  put(out, 24, h.checksum);
  put(out, 28, h.memfd_page);
  put(out, 32, h.send_ns);
}

Result<RequestHeader> decodeRequest(std::span<const std::byte> in, std::uint64_t max_payload) {
  if (in.size() < kRequestHeaderSize) {
    return bad("truncated request header");
  }
  if (get<std::uint32_t>(in, 0) != kRequestMagic) {
    return bad("wrong magic");
  }
  if (get<std::uint8_t>(in, 4) != kVersion) {
    return bad("unsupported frame version");
  }
  RequestHeader h;
  h.flags = get<std::uint8_t>(in, 5);
  h.source_len = get<std::uint16_t>(in, 6);
  h.target_len = get<std::uint16_t>(in, 8);
  h.reply_cap = get<std::uint32_t>(in, 12);
  h.payload_len = get<std::uint64_t>(in, 16);
  h.checksum = get<std::uint32_t>(in, 24);
  h.memfd_page = get<std::uint32_t>(in, 28);
  h.send_ns = get<std::uint64_t>(in, 32);
  if ((h.flags & ~kKnownFlags) != 0) {
    return bad("unknown flags");
  }
  if (get<std::uint16_t>(in, 10) != 0) {
    return bad("reserved bytes are not zero");
  }
  if (h.memfd_page != 0 && (h.flags & kFlagMemfd) == 0) {
    return bad("memfd page on a frame without a memfd");
  }
  if ((h.flags & kFlagMailbox) != 0 &&
      ((h.flags & kFlagMemfd) == 0 || h.memfd_page != 0 || h.payload_len != 0)) {
    return bad("mailbox frame with a payload or without its memfd");
  }
  if ((h.flags & kFlagStream) != 0 && ((h.flags & kFlagMailbox) != 0 || h.reply_cap != 0)) {
    return bad("stream frame with a mailbox or a reply");
  }
  if (h.source_len == 0 || h.source_len > kMaxName || h.target_len == 0 ||
      h.target_len > kMaxName) {
    return bad("name length out of range");
  }
  if (h.payload_len > max_payload) {
    return fail(Errc::kProtocol, "frame",
                "payload of " + std::to_string(h.payload_len) + " bytes over the limit of " +
                    std::to_string(max_payload));
  }
  return h;
}

void encodeStreamPart(const StreamPart& part, std::span<std::byte> out) noexcept {
  put(out, 0, part.event);
  put(out, 4, part.abort_status);
}

Result<StreamPart> decodeStreamPart(std::span<const std::byte> in, std::uint64_t payload_len) {
  if (in.size() < kStreamPartSize) {
    return bad("truncated stream part");
  }
  const StreamPart part{.event = get<std::uint32_t>(in, 0),
                        .abort_status = get<std::uint32_t>(in, 4)};
  if (part.event != kStreamData && part.event != kStreamEnd && part.event != kStreamAbort) {
    return bad("unknown stream event");
  }
  if (part.event != kStreamData && payload_len != 0) {
    return bad("stream end or abort with a payload");
  }
  if ((part.event == kStreamAbort) != (part.abort_status != 0)) {
    return bad("stream abort without a status, or a status without an abort");
  }
  return part;
}

// Layout: magic u32 @0, status u32 @4, reply_len u32 @8, copied u32 @12, handler_ns u64 @16,
// done_ns u64 @24, faults u32 @32, reserved u32 @36 (0).
void encodeResponse(const ResponseHeader& h, std::span<std::byte> out) noexcept {
  std::memset(out.data(), 0, kResponseHeaderSize);
  put(out, 0, kResponseMagic);
  put(out, 4, h.status);
  put(out, 8, h.reply_len);
  put(out, 12, h.copied);
  put(out, 16, h.handler_ns);
  put(out, 24, h.done_ns);
  put(out, 32, h.faults);
}

Result<ResponseHeader> decodeResponse(std::span<const std::byte> in) {
  if (in.size() < kResponseHeaderSize) {
    return bad("truncated response header");
  }
  if (get<std::uint32_t>(in, 0) != kResponseMagic) {
    return bad("wrong response magic");
  }
  // Never an unchecked cast into host::Status: a status this host does not know is a broken peer.
  if (get<std::uint32_t>(in, 4) > RR_STATUS_MAX) {
    return bad("unknown response status");
  }
  return ResponseHeader{.status = get<std::uint32_t>(in, 4),
                        .reply_len = get<std::uint32_t>(in, 8),
                        .copied = get<std::uint32_t>(in, 12),
                        .handler_ns = get<std::uint64_t>(in, 16),
                        .done_ns = get<std::uint64_t>(in, 24),
                        .faults = get<std::uint32_t>(in, 32)};
}

std::uint32_t crc32c(std::span<const std::byte> bytes, std::uint32_t crc) noexcept {
  crc = ~crc;
  for (const std::byte b : bytes) {
    crc = kCrcTable[(crc ^ static_cast<std::uint32_t>(b)) & 0xFFU] ^ (crc >> 8U);
  }
  return ~crc;
}

}  // namespace rr::proto
