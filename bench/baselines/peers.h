#pragma once

// The peer baselines of `roadrunner bench` (iceoryx, nats, grpc) run in their own program,
// roadrunner-bench-peers (bench/peers/), so that their libraries are never linked into
// `roadrunner`. This runs it and takes its result line.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "roadrunner/base/error.h"

namespace rr::bench {

/// Runs `peer_exe SYSTEM SIZE RUNS` and returns its result line: the bench JSON schema of the
/// other baselines, with its three windows and cold round. Its peak_rss_bytes already
/// sums every process of the run, the program's own included (see docs/benchmarks.md).
/// The run has 10 minutes; then it is stopped (SIGTERM, so it can stop its daemon), and killed
/// with everything it started if it outstays the grace. Errors: kNotFound when `peer_exe` is
/// missing (it names the packages to install), the program's own message when it fails,
/// kTimedOut.
[[nodiscard]] Result<nlohmann::json> runPeer(const std::string& peer_exe, const std::string& system,
                                             std::uint64_t size, int runs);

}  // namespace rr::bench
