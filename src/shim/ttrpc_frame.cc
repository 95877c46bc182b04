#include "roadrunner/shim/ttrpc_frame.h"

#include <cstring>
#include <string>

namespace rr::shim {
namespace {

void putBe32(std::byte* out, std::uint32_t v) {
  out[0] = static_cast<std::byte>(v >> 24);
  out[1] = static_cast<std::byte>(v >> 16);
  out[2] = static_cast<std::byte>(v >> 8);
  out[3] = static_cast<std::byte>(v);
}

std::uint32_t getBe32(const std::byte* in) {
  return (std::to_integer<std::uint32_t>(in[0]) << 24) |
         (std::to_integer<std::uint32_t>(in[1]) << 16) |
         (std::to_integer<std::uint32_t>(in[2]) << 8) | std::to_integer<std::uint32_t>(in[3]);
}

}  // namespace

std::array<std::byte, kTtrpcHeaderSize> encodeTtrpcHeader(const TtrpcHeader& h) {
  std::array<std::byte, kTtrpcHeaderSize> out{};
  putBe32(out.data(), h.length);
  putBe32(out.data() + 4, h.stream_id);
  out[8] = static_cast<std::byte>(h.type);
  out[9] = static_cast<std::byte>(h.flags);
  return out;
}

Result<TtrpcHeader> decodeTtrpcHeader(std::span<const std::byte> in) {
  if (in.size() < kTtrpcHeaderSize) {
    return fail(Errc::kProtocol, "ttrpc header",
                "need 10 bytes, have " + std::to_string(in.size()));
  }
  TtrpcHeader h{.length = getBe32(in.data()),
                .stream_id = getBe32(in.data() + 4),
                .type = std::to_integer<std::uint8_t>(in[8]),
                .flags = std::to_integer<std::uint8_t>(in[9])};
  if (h.length > kTtrpcMaxMessage) {
    return fail(Errc::kProtocol, "ttrpc header",
                "message of " + std::to_string(h.length) + " bytes exceeds the 4 MiB limit");
  }
  if (h.type < static_cast<std::uint8_t>(TtrpcType::kRequest) ||
      h.type > static_cast<std::uint8_t>(TtrpcType::kData)) {
    return fail(Errc::kProtocol, "ttrpc header", "unknown message type " + std::to_string(h.type));
  }
  return h;
}

Result<std::optional<TtrpcFrame>> nextTtrpcFrame(std::span<const std::byte> buffer) {
  if (buffer.size() < kTtrpcHeaderSize) {
    return std::optional<TtrpcFrame>();
  }
  RR_ASSIGN_OR_RETURN(const TtrpcHeader h, decodeTtrpcHeader(buffer));
  if (buffer.size() - kTtrpcHeaderSize < h.length) {
    return std::optional<TtrpcFrame>();
  }
  return std::optional<TtrpcFrame>(
      TtrpcFrame{.header = h, .payload = buffer.subspan(kTtrpcHeaderSize, h.length)});
}

Result<std::vector<std::byte>> encodeTtrpcFrame(std::uint32_t stream_id, TtrpcType type,
                                                std::span<const std::byte> payload,
                                                std::uint8_t flags) {
  if (payload.size() > kTtrpcMaxMessage) {
    return fail(Errc::kProtocol, "ttrpc frame",
                "message of " + std::to_string(payload.size()) + " bytes exceeds the 4 MiB limit");
  }
  const auto header = encodeTtrpcHeader({.length = static_cast<std::uint32_t>(payload.size()),
                                         .stream_id = stream_id,
                                         .type = static_cast<std::uint8_t>(type),
                                         .flags = flags});
  std::vector<std::byte> out(kTtrpcHeaderSize + payload.size());
  std::memcpy(out.data(), header.data(), header.size());
  if (!payload.empty()) {
    std::memcpy(out.data() + kTtrpcHeaderSize, payload.data(), payload.size());
  }
  return out;
}

}  // namespace rr::shim
