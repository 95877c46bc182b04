#pragma once

// The physical limits `roadrunner bench` reads every system against, measured in the same run
// for the same sizes. Each round of a limit does what a benchmark receiver does, and is timed at
// three points from the moment the writer starts (CLOCK_MONOTONIC, which every process shares):
//   landed:   the bytes are in the reader's buffer (or mapping);
//   consumed: the reader has also read every byte (bench_hash, as bench_receiver checks);
//   in_place: the reader has also written every byte of its buffer (the in-place workload).
// Round 0 warms up and is dropped.

#include <cstdint>
#include <string>
#include <vector>

#include "roadrunner/base/error.h"

namespace rr::bench {

struct LimitSamples {
  std::vector<double> landed, consumed, in_place;
};

/// memcpy into a warm (pre-touched) buffer: the in-process ceiling (embedded).
[[nodiscard]] LimitSamples memcpyLimit(std::uint64_t size, int runs);
/// memcpy into freshly mapped pages: what a cold receiver pays (page faults included); landed.
[[nodiscard]] std::vector<double> memcpyFresh(std::uint64_t size, int runs);
/// AF_UNIX write -> read into a warm buffer in another process (kernel).
[[nodiscard]] LimitSamples unixLimit(std::uint64_t size, int runs);
/// The payload copied into a size-sealed memfd's warm pages, passed with SCM_RIGHTS to another
/// process, which maps it privately (kernel-memfd).
[[nodiscard]] LimitSamples memfdLimit(std::uint64_t size, int runs);
/// TCP write -> read over `host` (loopback, or a veth pair with the reader in `netns`).
[[nodiscard]] LimitSamples tcpLimit(std::uint64_t size, int runs, const std::string& host,
                                    const std::string& netns);

/// Seconds for one stream of `total` bytes in `chunk`-byte chunks at the mode's limit, each chunk
/// stamped with its index: "embedded", a writer thread handing chunks to a reader thread that
/// copies each into its own warm buffer (two slots between them); "kernel" and "network", a
/// writer process writing them into an AF_UNIX socket pair or a TCP connection over `host` and a
/// reader process reading them into a warm chunk buffer, with a stream connection's send buffer.
[[nodiscard]] Result<double> streamLimitSeconds(const std::string& mode, std::uint64_t total,
                                                std::uint32_t chunk, const std::string& host);
/// The in-process limit with each chunk's copy shared as an embedded stream shares it
/// (host::Completion::copyTogether): the writer thread copies the back half of the chunk it
/// published while the reader copies the front, and the reader waits for both halves.
[[nodiscard]] double sharedCopyStreamLimitSeconds(std::uint64_t total, std::uint32_t chunk);
/// The kernel-mode limit for a stream through a ring (transport::SocketEndpoint's): a writer
/// process stamps each chunk in its warm buffer and copies it into one of the ring's slots, in
/// memory both processes map, and a reader process copies it out into its own warm buffer; each
/// side spins on the other's counter, with no system call.
[[nodiscard]] Result<double> ringStreamLimitSeconds(std::uint64_t total, std::uint32_t chunk);

}  // namespace rr::bench
