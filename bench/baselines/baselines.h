#pragma once

// Native baseline programs for `roadrunner bench`, measured the same way as Roadrunner's modes
// (the Wasm ones are in wasmedge_http.h, the peers in peers.h):
//   native-http-raw: native processes (the stand-in for containers), the producer sends the
//                    payload as a raw HTTP/1.1 body on loopback; the consumer reads it into one
//                    buffer sized from Content-Length and validates it as UTF-8, as the paper's
//                    container baseline did.
//   native-http:     the same as JSON {"data": base64} through cpp-httplib and nlohmann-json.
//   redis:           the producer SETs the payload into a real redis-server on loopback, the
//                    consumer (another process) GETs it (hiredis).
// Every round is stamped and sealed (bench_payload.h); the consumer reports when it held the
// payload (decoded or validated), when it had checked every byte, and the seal it read. Windows
// run from the producer's start (serialization included): to_handler_s, consumed_s, and
// round_s until the producer has the consumer's answer; serialization_s is the encode plus
// decode (or validation) time inside them.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "roadrunner/base/error.h"

namespace rr::bench {

/// Where a baseline's consumers run and listen: loopback in this namespace, or the test host of
/// an inter-node run (test_link.h). Only native-http-raw and the wasmedge-http baselines run
/// anywhere but loopback.
struct Placement {
  std::string host = "127.0.0.1";
  std::string netns;  ///< empty: ours
  [[nodiscard]] bool loopback() const { return netns.empty() && host == "127.0.0.1"; }
};

/// One chain result in the bench JSON schema, or an error (redis-server missing, ...).
[[nodiscard]] Result<nlohmann::json> runBaseline(const std::string& system, std::uint64_t size,
                                                 int runs, const Placement& at = {});

/// The fan-out workload for the baselines that have one (native-http-raw): one producer, `n`
/// consumer processes, every round to each of them.
[[nodiscard]] Result<nlohmann::json> runBaselineFanout(const std::string& system,
                                                       std::uint64_t size, int runs,
                                                       std::uint32_t n);

}  // namespace rr::bench
