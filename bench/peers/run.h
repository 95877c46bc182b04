#pragma once

// The peer program's run and the report its producer role writes (run.cc).

#include <chrono>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "peer.h"

namespace rr::bench::peers {

/// The whole run may take this long; then its processes are killed and the run fails. The bench
/// (bench/baselines/peers.cc) gives the program a little longer, so the program reports first.
inline constexpr std::chrono::minutes kRunDeadline{9};

/// Starts the daemon, the consumer and the producer, and returns the result line: the bench
/// JSON schema of the other baselines with its three windows and cold round.
/// Errors: the size is over the system's limit, a process failed or hung (it is killed).
[[nodiscard]] Result<nlohmann::json> runPeer(const Peer& peer, std::uint64_t size, int runs);

/// The producer's report: {"rounds": [{t0, held, consumed, done, serialization, sent, got}, ...]}.
[[nodiscard]] nlohmann::json toJson(const std::vector<Round>& rounds);

}  // namespace rr::bench::peers
