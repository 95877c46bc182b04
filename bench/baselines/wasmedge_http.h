#pragma once

// The wasmedge-http baselines of `roadrunner bench`: two Wasm functions on the same WasmEdge, in
// this process, exchanging the payload over HTTP/1.1 on loopback through WasmEdge's WASI socket
// extension (bench/guests/bench_http_producer.cc and bench_http_consumer.cc, C++ with libc++):
//   wasmedge-http-raw: the raw bytes as the body; the consumer validates them as UTF-8, as the
//                      paper's WasmEdge baseline did (its "serialization");
//   wasmedge-http:     JSON {"data": "<base64>"} through nlohmann-json, encoded and decoded.
//
// One producer instance and `consumers` consumer instances each run `_start` on their own thread
// with their own VM. The producer POSTs every round to each consumer in turn over one keep-alive
// connection per consumer and waits for all their 200s before the next round.
//
// Measured per round, on the guests' monotonic clock (WASI's is the host's CLOCK_MONOTONIC), from
// the producer's start of serialization (raw: of sending): to_handler ends when the last consumer
// holds the payload (decoded, or validated), consumed when it has also checked the payload's
// seal, round when the producer has every 200. serialization_s is the producer's encode plus the
// slowest consumer's decode or validation. Round 0 is reported as the cold round.
// verified: every consumer reported, for every round, the payload's length and a whole seal equal
// to the one the producer sealed that round with.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "roadrunner/base/error.h"

#include "baselines.h"

namespace rr::bench {

struct WasmedgeHttpOptions {
  std::string guest_dir;   ///< where bench_http_producer.wasm and bench_http_consumer.wasm are
  std::uint64_t size = 0;  ///< payload bytes, per consumer
  std::uint32_t consumers = 1;
  int runs = 5;         ///< measured rounds, after one warm-up
  bool fanout = false;  ///< report as the fan-out workload (else "chain")
  /// wasmedge-http-raw: the raw bytes as the body, validated as UTF-8 on receipt (the paper's
  /// baseline); else JSON + base64.
  bool raw = false;
  /// Test hook: flips one payload byte in the producer (BENCH_CORRUPT_AT), which must make the
  /// result unverified.
  bool corrupt = false;
  /// Where the consumers run: their threads enter `at.netns` before their guests start, and the
  /// guests listen on `at.host` (BENCH_HOST); the producer stays here and connects to it.
  Placement at;
};

/// Whether a consumer can parse a payload of `size` bytes within wasm32's 4 GiB of linear
/// memory; the error says how much it would need.
[[nodiscard]] Result<> wasmedgeHttpFits(std::uint64_t size, bool raw);

/// One result in the bench JSON schema. Errors are set-up failures (a missing guest, a VM that
/// cannot be created); a run whose guests fail or disagree is a result with verified = false.
[[nodiscard]] Result<nlohmann::json> runWasmedgeHttp(const WasmedgeHttpOptions& options);

}  // namespace rr::bench
