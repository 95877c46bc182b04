// Fuzzes the wire-frame decoders: any bytes in, a header or an error out, never a crash; a
// decoded header re-encodes to the same bytes.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "roadrunner/guest/abi.h"
#include "roadrunner/proto/frame.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = std::as_bytes(std::span(data, size));
  if (auto h = rr::proto::decodeRequest(in, UINT64_MAX); h) {
    if (size < rr::proto::kRequestHeaderSize) {
      __builtin_trap();  // decoded a header from fewer bytes than a header holds
    }
    std::byte again[rr::proto::kRequestHeaderSize];
    rr::proto::encodeRequest(*h, again);
    if (std::memcmp(again, data, rr::proto::kRequestHeaderSize) != 0) {
      __builtin_trap();  // decode and encode disagree
    }
  }
  (void)rr::proto::decodeRequest(in, 1000);
  if (auto r = rr::proto::decodeResponse(in);
      r && (size < rr::proto::kResponseHeaderSize || r->status > RR_STATUS_MAX)) {
    __builtin_trap();  // a short header, or a status the host would cast unchecked
  }
  for (const std::uint64_t payload_len : {std::uint64_t{0}, std::uint64_t{1}}) {
    if (auto p = rr::proto::decodeStreamPart(in, payload_len); p) {
      if (size < rr::proto::kStreamPartSize ||
          (p->event != rr::proto::kStreamData && payload_len != 0)) {
        __builtin_trap();  // a short part, or an end that carries bytes
      }
      std::byte again[rr::proto::kStreamPartSize];
      rr::proto::encodeStreamPart(*p, again);
      if (std::memcmp(again, data, rr::proto::kStreamPartSize) != 0) {
        __builtin_trap();
      }
    }
  }
  (void)rr::proto::crc32c(in);
  return 0;
}
