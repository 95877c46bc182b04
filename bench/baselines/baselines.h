#pragma once

// Real baseline programs for `roadrunner bench`, measured the same way as Roadrunner's modes:
//   native-http: two native processes (the stand-in for containers), the producer POSTs the
//                payload as JSON {"data": base64} over HTTP/1.1 on loopback (cpp-httplib,
//                nlohmann-json); the consumer parses and decodes it.
//   redis:       the producer SETs the payload into a real redis-server on loopback, the
//                consumer (another process) GETs it (hiredis).
// Latency runs from the producer's start (serialization included) to the consumer holding the
// decoded bytes; serialization_s is the encode plus decode time inside it.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "roadrunner/base/error.h"

namespace rr::bench {

/// One chain result in the bench JSON schema, or an error (redis-server missing, ...).
[[nodiscard]] Result<nlohmann::json> runBaseline(const std::string& system, std::uint64_t size,
                                                 int runs);

}  // namespace rr::bench
