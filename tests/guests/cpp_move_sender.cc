// Moves payloads with the C++ veneer's MoveBuffer: cpp_move_sender TARGET SIZE SEED ROUNDS
// fills one buffer with SIZE bytes from SEED, hands it to a keeper_receiver with sendMove, takes
// it back, and checks that the reply is the FNV-1a hash of what was sent and that the buffer
// reads as zeros; ROUNDS times, refilling the same buffer with new bytes each round.
// Prints "moved N" and exits 0, or exits with the status, or 100 + the check that failed.
#define ROADRUNNER_IMPLEMENTATION
#include <cstdio>
#include <cstdlib>
#include <span>
#include <utility>

#include <roadrunner/guest/roadrunner.hpp>

namespace {

std::uint64_t fnv1a(std::span<const std::byte> bytes) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const std::byte b : bytes) {
    h = (h ^ static_cast<std::uint8_t>(b)) * 1099511628211ULL;
  }
  return h;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    return 64;
  }
  const auto size = static_cast<std::uint32_t>(std::strtoul(argv[2], nullptr, 10));
  std::uint64_t x = std::strtoull(argv[3], nullptr, 10) | 1;
  const int rounds = std::atoi(argv[4]);
  auto buffer = rr::guest::MoveBuffer::allocate(size);
  if (buffer.empty()) {
    return 65;
  }
  for (int round = 0; round < rounds; ++round) {
    for (std::byte& b : buffer.bytes()) {  // xorshift: every byte depends on seed and round
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      b = static_cast<std::byte>(x);
    }
    const std::uint64_t want = fnv1a(buffer.bytes());
    std::uint64_t got = 0;
    auto moved =
        rr::guest::sendMove(argv[1], std::move(buffer), std::as_writable_bytes(std::span(&got, 1)));
    buffer = std::move(moved.buffer);
    if (moved.status != rr::guest::Status::kOk) {
      std::printf("sendMove: %s\n", rr::guest::name(moved.status));
      return static_cast<int>(moved.status);
    }
    if (moved.reply_len != sizeof got || got != want) {
      return 101;
    }
    for (const std::byte b : buffer.bytes()) {
      if (b != std::byte{0}) {
        return 102;
      }
    }
  }
  std::printf("moved %u x %d\n", size, rounds);
  return 0;
}
