// roadrunner-guest: reactor
// The hash receiver written against the C++20 veneer: replies with the FNV-1a hash.
#define ROADRUNNER_RECEIVER
#include <cstdint>
#include <span>

#include <roadrunner/guest/roadrunner.hpp>

int32_t rr_handle(const uint8_t* buf, uint32_t len, const char*, uint32_t) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const std::uint8_t b : std::span(buf, len)) {
    h = (h ^ b) * 1099511628211ULL;
  }
  return rr::guest::reply(std::as_bytes(std::span(&h, 1))) == rr::guest::Status::kOk ? 0 : 1;
}
