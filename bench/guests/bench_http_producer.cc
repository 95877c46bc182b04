// wasmedge-http baselines, producer: builds SIZE bytes with the paper's recipe ("Artifact for
// middleware evaluation" repeated, no newlines) and sends them ROUNDS times over HTTP/1.1 to
// every consumer port (one keep-alive connection each, in turn), then waits for every 200 before
// the next round. Each round is stamped and sealed first (bench_payload.h), so no two rounds send
// the same bytes. The body is JSON {"data": "<base64>"} (nlohmann-json), or with BENCH_RAW set
// the raw bytes, as the paper's WasmEdge baseline sent them.
// Prints one line per round: "sent ROUND T0 ENCODE_S SEAL T_END"; T0 is taken before
// serializing (raw: before sending), T_END once every consumer's 200 has arrived.
// Usage: bench_http_producer SIZE ROUNDS PORT...
// BENCH_CORRUPT_AT=OFFSET changes one payload byte after sealing, so a test can check that the
// host's verification notices.
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench_payload.h"
#include "http_wasi.hpp"

namespace {

std::vector<std::int32_t> connectAll(int argc, char** argv) {
  std::vector<std::int32_t> conns;
  for (int i = 3; i < argc; ++i) {
    std::uint32_t err = 0;
    const auto port = static_cast<std::uint32_t>(std::strtoul(argv[i], nullptr, 10));
    const std::int32_t fd = http_wasi::connectToBenchHost(port, &err);
    if (fd < 0) {
      std::fprintf(stderr, "connect to port %u: WASI errno %u\n", port, err);
      return {};
    }
    conns.push_back(fd);
  }
  return conns;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: bench_http_producer SIZE ROUNDS PORT...\n");
    return 64;
  }
  const auto size = static_cast<std::uint32_t>(std::strtoull(argv[1], nullptr, 10));
  const int rounds = std::atoi(argv[2]);
  const bool raw = std::getenv("BENCH_RAW") != nullptr;
  const char* corrupt_at = std::getenv("BENCH_CORRUPT_AT");
  std::string payload(size, '\0');
  auto* bytes = reinterpret_cast<std::uint8_t*>(payload.data());
  bench_fill(bytes, size);
  const std::vector<std::int32_t> conns = connectAll(argc, argv);
  if (conns.empty()) {
    return 1;
  }
  std::string head;
  std::string reply;
  for (int round = 0; round < rounds; ++round) {
    const std::uint64_t seal = bench_stamp(bytes, size, static_cast<std::uint32_t>(round));
    if (corrupt_at != nullptr && size > 0) {
      payload[std::strtoull(corrupt_at, nullptr, 10) % size] ^= 0x01;
    }
    const double t0 = http_wasi::now();
    std::string json_body;
    if (!raw) {
      json_body = nlohmann::json{{"data", http_wasi::base64Encode(payload)}}.dump();
    }
    const std::string_view body = raw ? std::string_view(payload) : std::string_view(json_body);
    const double encode_s = http_wasi::now() - t0;
    const std::string request = std::string("POST /data HTTP/1.1\r\nHost: 127.0.0.1\r\n") +
                                (raw ? "Content-Type: application/octet-stream\r\n"
                                     : "Content-Type: application/json\r\n") +
                                "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
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
    const double t_end = http_wasi::now();
    std::printf("sent %d %.9f %.9f %016" PRIx64 " %.9f\n", round, t0, encode_s, seal, t_end);
    std::fflush(stdout);
  }
  for (const std::int32_t fd : conns) {
    http_wasi::wasiSockShutdown(fd, http_wasi::kShutWrite);
  }
  return 0;
}
