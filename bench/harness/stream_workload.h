#pragma once

// roadrunner bench --workload stream: streams through real guests (bench_stream_producer and
// bench_stream_stage) in each edge mode, read against the same run's one-stream limit for the
// mode (memcpy, AF_UNIX, loopback TCP: one writer, one reader, chunk by chunk).
//
// Per mode, three measurements:
//   throughput: producer -> sink, each chunk stamped with its index (no per-byte work), as
//               throughput_MBps, limit_ratio (÷ the limit's median) and limit_best_ratio
//               (÷ its fastest sample);
//   bounded:    producer -> transform -> sink over `total` bytes with every function's memory
//               capped, the sink's hash checked against the one computed here, RSS sampled;
//   pipeline:   the same three stages with real work per word, streamed and as whole sends
//               in every mode, and the ratio of their times.
// Every window runs from the producer's first byte made to its final status (the sink has
// consumed everything), measured by the producer itself.

#include <cstdint>
#include <string>
#include <vector>

#include "roadrunner/base/error.h"

namespace rr::bench {

struct StreamOptions {
  std::vector<std::string> modes = {"embedded", "kernel", "network"};
  std::uint64_t total = 16ULL << 30U;            ///< the bounded run's bytes
  std::uint64_t throughput_total = 2ULL << 30U;  ///< bytes per throughput sample
  std::uint32_t chunk = 1U << 20U;
  std::uint64_t pipeline_total = 1ULL << 30U;
  std::uint32_t pipeline_rounds = 6;  ///< the pipeline stages' mixing rounds per word
  std::uint32_t memory_limit_mib = 64;
  int runs = 3;  ///< samples per throughput, limit and pipeline figure
  /// The bounded and pipeline producers hand each chunk over (stream_write_move) instead of
  /// lending it; the throughput row's stamped chunks are always lent.
  bool move_chunks = false;
  std::string guest_dir;
  std::string roadrunner_exe = "/proc/self/exe";
  std::string network_host = "127.0.0.1";
  std::string json_path;  ///< empty: no JSON
};

[[nodiscard]] Result<> runStreamWorkload(const StreamOptions& options);

}  // namespace rr::bench
