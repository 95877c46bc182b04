#pragma once

// ttrpc's framing, as pure functions over spans: every message is a 10-byte header followed by
// a protobuf payload.
//
//   offset 0  length     u32 big-endian, payload bytes only (at most kTtrpcMaxMessage)
//   offset 4  stream id  u32 big-endian; clients open odd ids, a response reuses the request's
//   offset 8  type       u8: 1 request, 2 response, 3 data
//   offset 9  flags      u8
//
// A request's payload is a `ttrpc.Request` (service, method, payload, timeout, metadata); a
// response's is a `ttrpc.Response` (google.rpc.Status, payload). Nothing here touches an fd.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "roadrunner/base/error.h"
#include "roadrunner/base/try.h"

namespace rr::shim {

inline constexpr std::size_t kTtrpcHeaderSize = 10;
inline constexpr std::uint32_t kTtrpcMaxMessage = 4u << 20;  // ttrpc's default limit

enum class TtrpcType : std::uint8_t { kRequest = 1, kResponse = 2, kData = 3 };

struct TtrpcHeader {
  std::uint32_t length = 0;
  std::uint32_t stream_id = 0;
  std::uint8_t type = 0;
  std::uint8_t flags = 0;
};

struct TtrpcFrame {
  TtrpcHeader header;
  std::span<const std::byte> payload;  ///< borrowed from the buffer passed to nextTtrpcFrame
};

[[nodiscard]] std::array<std::byte, kTtrpcHeaderSize> encodeTtrpcHeader(const TtrpcHeader& h);

/// Decodes a header from the first 10 bytes of `in`. Errors (Errc::kProtocol): fewer than 10
/// bytes, a length over kTtrpcMaxMessage, an unknown type. A frame that fails here cannot be
/// skipped, so the connection must be closed.
[[nodiscard]] Result<TtrpcHeader> decodeTtrpcHeader(std::span<const std::byte> in);

/// The first complete frame at the start of `buffer`, or nullopt if more bytes are needed. The
/// frame's size on the wire is kTtrpcHeaderSize + header.length.
[[nodiscard]] Result<std::optional<TtrpcFrame>> nextTtrpcFrame(std::span<const std::byte> buffer);

/// Header and payload in one buffer. Errors: a payload over kTtrpcMaxMessage.
[[nodiscard]] Result<std::vector<std::byte>> encodeTtrpcFrame(std::uint32_t stream_id,
                                                              TtrpcType type,
                                                              std::span<const std::byte> payload,
                                                              std::uint8_t flags = 0);

}  // namespace rr::shim
