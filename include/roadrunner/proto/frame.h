#pragma once

// The wire frame kernel and network modes share. Pure functions over spans: no fds, no
// allocation, safe on any input (a fuzzer drives decode*).
//
//   request  = RequestHeader (40 bytes, little-endian) | source name | target name
//              | trace context (25 bytes, with kFlagTrace) | stream part (8 bytes, with
//              kFlagStream) | payload
//   response = ResponseHeader (40 bytes)                 | reply bytes (see replyFollows)
//
// With kFlagMemfd the payload does not follow on the stream: it travels as a size-sealed memfd
// passed with SCM_RIGHTS alongside the header, from page `memfd_page` of it (a pooled memfd the
// sender copied into: page 0; the sender's shared buffer: where the payload starts in it).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "roadrunner/base/error.h"

namespace rr::proto {

inline constexpr std::uint32_t kRequestMagic = 0x31465252;   // "RRF1"
inline constexpr std::uint32_t kResponseMagic = 0x32415252;  // "RRA2"
/// 2: the response carries `done_ns` and `faults`; 3: a stream's chunks may travel in a ring
/// (kFlagStream with kFlagMemfd). A peer of another version gets a protocol error.
inline constexpr std::uint8_t kVersion = 3;
inline constexpr std::size_t kRequestHeaderSize = 40;
inline constexpr std::size_t kResponseHeaderSize = 40;
inline constexpr std::size_t kMaxName = 255;
/// The most reply bytes a serving process buffers for one frame (bounded memory per
/// connection). A longer reply gets RR_EREPLY_TOO_LARGE, whatever `reply_cap` says.
inline constexpr std::uint32_t kMaxReply = 16U << 20U;

inline constexpr std::uint8_t kFlagMemfd = 1U << 0U;     ///< payload is a memfd, not on the stream
inline constexpr std::uint8_t kFlagChecksum = 1U << 1U;  ///< `checksum` is the payload's CRC32C
/// With kFlagMemfd and no payload: the memfd is a transport::Mailbox, which carries this
/// connection's later frames (header, names, payload and response) instead of the stream.
inline constexpr std::uint8_t kFlagMailbox = 1U << 2U;
/// kTraceSize bytes of W3C trace context (host::TraceContext::write) follow the names: the
/// sender's span, parent of the receiver's.
inline constexpr std::uint8_t kFlagTrace = 1U << 3U;
inline constexpr std::size_t kTraceSize = 25;
/// The frame is one event of the stream this connection carries (a connection carries one
/// stream at a time, opened by its first stream frame and ended by its kStreamEnd or
/// kStreamAbort; the connection closing first aborts it). A StreamPart follows the trace
/// context; the payload, if any, is the chunk: on the socket, or with kFlagMemfd in the stream's
/// ring, from page `memfd_page` of it. The ring is a size-sealed memfd passed with the first
/// chunk that goes through it and kept for the rest of the stream (never a mailbox).
inline constexpr std::uint8_t kFlagStream = 1U << 4U;
inline constexpr std::size_t kStreamPartSize = 8;
inline constexpr std::uint8_t kKnownFlags =
    kFlagMemfd | kFlagChecksum | kFlagMailbox | kFlagTrace | kFlagStream;

inline constexpr std::uint32_t kStreamData = 1;
inline constexpr std::uint32_t kStreamEnd = 2;
inline constexpr std::uint32_t kStreamAbort = 3;

/// Layout: event u32 @0 (kStreamData, kStreamEnd, kStreamAbort), abort_status u32 @4.
struct StreamPart {
  std::uint32_t event = kStreamData;
  std::uint32_t abort_status = 0;  ///< kStreamAbort only (non-zero)
};
void encodeStreamPart(const StreamPart& part, std::span<std::byte> out) noexcept;
/// Checks the event, that only a chunk has a payload (`payload_len`), and that an abort, and
/// only an abort, carries a non-zero status; Errc::kProtocol otherwise.
[[nodiscard]] Result<StreamPart> decodeStreamPart(std::span<const std::byte> in,
                                                  std::uint64_t payload_len);

struct RequestHeader {
  std::uint8_t flags = 0;
  std::uint16_t source_len = 0;
  std::uint16_t target_len = 0;
  std::uint32_t reply_cap = 0;  ///< most reply bytes the sender takes
  std::uint64_t payload_len = 0;
  std::uint32_t checksum = 0;
  std::uint32_t memfd_page = 0;  ///< with kFlagMemfd: the payload's first page in the memfd
  std::uint64_t send_ns = 0;     ///< sender's CLOCK_MONOTONIC at its send call (same node only)
};

struct ResponseHeader {
  std::uint32_t status = 0;      ///< rr_status_t
  std::uint32_t reply_len = 0;   ///< the reply's full length; bytes follow only if it fit
  std::uint32_t copied = 0;      ///< payload bytes the receiving host copied (0 when mapped)
  std::uint64_t handler_ns = 0;  ///< receiver's CLOCK_MONOTONIC at handler entry (0: never ran)
  /// receiver's CLOCK_MONOTONIC once the handler had returned and the payload's pages were
  /// detached from its memory (0: never ran)
  std::uint64_t done_ns = 0;
  /// page faults the receiving thread took from the payload's arrival to its detach (capped)
  std::uint32_t faults = 0;
};

/// Writes the header into `out` (at least kRequestHeaderSize bytes).
void encodeRequest(const RequestHeader& h, std::span<std::byte> out) noexcept;
/// Checks magic, version, flags, name lengths (1..kMaxName), `payload_len <= max_payload` and
/// that `memfd_page` is 0 without kFlagMemfd, that a kFlagMailbox frame has kFlagMemfd, page 0
/// and no payload, and that a kFlagStream frame has neither a mailbox nor a reply_cap.
/// Errc::kProtocol with the reason otherwise; Errc::kTooLarge... is reported as kProtocol too.
[[nodiscard]] Result<RequestHeader> decodeRequest(std::span<const std::byte> in,
                                                  std::uint64_t max_payload);

void encodeResponse(const ResponseHeader& h, std::span<std::byte> out) noexcept;
/// Checks magic and that `status` is an rr_status_t (at most RR_STATUS_MAX); Errc::kProtocol
/// with the reason otherwise.
[[nodiscard]] Result<ResponseHeader> decodeResponse(std::span<const std::byte> in);

/// Whether `reply_len` reply bytes follow a response to a request with `reply_cap`: only a
/// non-empty reply that fit both the sender's buffer and the server's (kMaxReply). Server and
/// sender both decide with this, so the stream never promises bytes that are not written.
[[nodiscard]] constexpr bool replyFollows(std::uint32_t reply_len,
                                          std::uint32_t reply_cap) noexcept {
  return reply_len > 0 && reply_len <= std::min(reply_cap, kMaxReply);
}

/// CRC32C (Castagnoli) of `bytes`, continuing from `crc` (0 to start).
[[nodiscard]] std::uint32_t crc32c(std::span<const std::byte> bytes,
                                   std::uint32_t crc = 0) noexcept;

}  // namespace rr::proto
