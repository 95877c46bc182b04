// wasmedge-http baseline, producer: builds SIZE bytes with the paper's recipe ("Artifact for
// middleware evaluation" repeated, no newlines), and ROUNDS times serializes them as JSON
// {"data": "<base64>"} (nlohmann-json) and POSTs that over HTTP/1.1 to every consumer port
// (one keep-alive connection each, in turn), then waits for every 200 before the next round.
// Prints one line per round on stdout: "sent ROUND T0 ENCODE_S", T0 taken before serializing.
// Usage: bench_http_producer SIZE ROUNDS PORT...
// BENCH_CORRUPT_AT=OFFSET flips one payload byte after the recipe, so a test can check that the
// host's verification notices.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http_wasi.hpp"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: bench_http_producer SIZE ROUNDS PORT...\n");
    return 64;
  }
  const std::size_t size = std::strtoull(argv[1], nullptr, 10);
  const int rounds = std::atoi(argv[2]);
  static constexpr std::string_view kPhrase = "Artifact for middleware evaluation";
  std::string payload(size, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    payload[i] = kPhrase[i % kPhrase.size()];
  }
  if (const char* at = std::getenv("BENCH_CORRUPT_AT"); at != nullptr && size > 0) {
    payload[std::strtoull(at, nullptr, 10) % size] ^= 0x20;
  }
  std::vector<std::int32_t> conns;
  for (int i = 3; i < argc; ++i) {
    std::uint32_t err = 0;
    const auto port = static_cast<std::uint32_t>(std::strtoul(argv[i], nullptr, 10));
    const std::int32_t fd = http_wasi::connectLoopback(port, &err);
    if (fd < 0) {
      std::fprintf(stderr, "connect 127.0.0.1:%u: WASI errno %u\n", port, err);
      return 1;
    }
    conns.push_back(fd);
  }
  std::string head;
  std::string reply;
  for (int round = 0; round < rounds; ++round) {
    const double t0 = http_wasi::now();
    const nlohmann::json doc = {{"data", http_wasi::base64Encode(payload)}};
    const std::string body = doc.dump();
    const double encode_s = http_wasi::now() - t0;
    const std::string request =
        "POST /data HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\n\r\n";
    for (const std::int32_t fd : conns) {
      if (!http_wasi::sendAll(fd, request, body)) {
        std::fprintf(stderr, "round %d: send failed\n", round);
        return 1;
      }
    }
    for (const std::int32_t fd : conns) {
      if (!http_wasi::readMessage(fd, head, reply) || !head.starts_with("HTTP/1.1 200 ")) {
        std::fprintf(stderr, "round %d: no 200 from a consumer\n", round);
        return 1;
      }
    }
    std::printf("sent %d %.9f %.9f\n", round, t0, encode_s);
    std::fflush(stdout);
  }
  for (const std::int32_t fd : conns) {
    http_wasi::wasiSockShutdown(fd, http_wasi::kShutWrite);
  }
  return 0;
}
