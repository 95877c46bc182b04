// wasmedge-http baselines, consumer: listens on $BENCH_HOST (default 127.0.0.1; a port the
// kernel chooses), prints "listening PORT", accepts one connection and answers ROUNDS HTTP/1.1
// POSTs on it. For each it first gets hold of the payload: with BENCH_RAW set the body is the
// payload, and is validated as UTF-8 (as the paper's consumer turned it into a string); otherwise
// it parses the JSON body with nlohmann-json and base64-decodes "data". Then it checks the
// payload's seal (bench_payload.h) and prints "received ROUND T_HELD DECODE_S BYTES WHOLE SEAL
// T_CONSUMED" (T_HELD: it holds the payload; DECODE_S: parse + decode, or the UTF-8 validation;
// WHOLE: 1 if the seal matched; T_CONSUMED: the check has read every byte), and replies 200. Usage:
// bench_http_consumer ROUNDS
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "bench_payload.h"
#include "bench_utf8.hpp"
#include "http_wasi.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_http_consumer ROUNDS\n");
    return 64;
  }
  const int rounds = std::atoi(argv[1]);
  const bool raw = std::getenv("BENCH_RAW") != nullptr;
  std::uint32_t err = 0;
  const std::int32_t listener = http_wasi::listenOnBenchHost(0, &err);
  if (listener < 0) {
    std::fprintf(stderr, "listen: WASI errno %u\n", err);
    return 1;
  }
  std::printf("listening %u\n", http_wasi::localPort(listener));
  std::fflush(stdout);
  std::int32_t conn = -1;
  if ((err = http_wasi::wasiSockAccept(listener, 0, &conn)) != 0) {
    std::fprintf(stderr, "accept: WASI errno %u\n", err);
    return 1;
  }
  static constexpr std::string_view kOk =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n";
  for (int round = 0; round < rounds; ++round) {
    // Per request, as a handler would have them: what one request allocated is all free before
    // the next one arrives (a 500 MiB payload needs 2.3 GiB of the 4 GiB while it parses).
    std::string head;
    std::string body;
    std::string decoded;
    if (!http_wasi::readMessage(conn, head, body)) {
      std::fprintf(stderr, "round %d: no complete request\n", round);
      return 1;
    }
    const double t0 = http_wasi::now();
    if (raw) {
      if (!bench::validUtf8(body)) {
        std::fprintf(stderr, "round %d: body is not UTF-8\n", round);
        return 1;
      }
    } else {
      const nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
      const auto data = doc.is_object() ? doc.find("data") : doc.end();
      if (data == doc.end() || !data->is_string() ||
          !http_wasi::base64Decode(data->get_ref<const std::string&>(), decoded)) {
        std::fprintf(stderr, "round %d: body is not {\"data\": base64}\n", round);
        return 1;
      }
    }
    std::string& bytes = raw ? body : decoded;
    const double held = http_wasi::now();  // the consumer holds the payload
    std::uint64_t seal = 0;
    const int whole = bench_check(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                  static_cast<std::uint32_t>(bytes.size()), &seal);
    const double consumed = http_wasi::now();
    std::printf("received %d %.9f %.9f %zu %d %016" PRIx64 " %.9f\n", round, held, held - t0,
                bytes.size(), whole, seal, consumed);
    std::fflush(stdout);
    if (!http_wasi::sendAll(conn, kOk, "ok")) {
      std::fprintf(stderr, "round %d: reply failed\n", round);
      return 1;
    }
  }
  return 0;
}
