#pragma once

// roadrunner-bench-peers: the benchmark's peer baselines, each moving the bench payload between
// two native processes on one node through a system other projects use for it (iceoryx, NATS,
// gRPC). One program plays three roles, so no peer library is linked into `roadrunner`:
//
//   roadrunner-bench-peers SYSTEM SIZE RUNS            the run (run.cc): starts the system's
//     ├── daemon (iox-roudi, nats-server; none for gRPC)    daemon, then the consumer, then the
//     ├── roadrunner-bench-peers --consumer ...  says "ready ADDRESS", receives and checks
//     └── roadrunner-bench-peers --producer ...  sends; reports its rounds as JSON
//
// Every round the producer stamps its payload (bench_stamp), takes t0 and sends; the consumer
// checks every byte (bench_check_and_poison), takes its timestamp and sends back an Ack. The run
// turns the producer's rounds into one bench result line.

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "roadrunner/base/error.h"

namespace rr::bench::peers {

using Clock = std::chrono::steady_clock;

/// A consumer or producer writes its ready line and its report on this descriptor, so that what
/// a library prints on stdout stays out of them (the roles' stdout goes to the run's stderr).
inline constexpr int kReportFd = 3;

/// What a consumer or producer is told on its command line.
struct RoleArgs {
  std::uint64_t size = 0;
  int runs = 0;         ///< measured rounds; round 0, the cold round, comes on top
  std::string address;  ///< what to reach: the daemon's or the consumer's address
  Clock::time_point deadline;
};

/// What the consumer sends back for one round. Plain bytes on the wire (both ends are this
/// program on one machine).
struct Ack {
  std::uint64_t seal = 0;  ///< the payload's seal if every byte checked out, else 0
  double consumed_s = 0;   ///< steady clock (CLOCK_MONOTONIC) once every byte was checked
  double decode_s = 0;     ///< decoding inside the window (gRPC: protobuf parse), else 0
  double held_s = 0;       ///< steady clock once it held the (decoded) payload, before checking
};

/// One round as the producer saw it (steady-clock seconds).
struct Round {
  double t0 = 0;                    ///< just before the send call
  double held = 0;                  ///< the consumer's Ack::held_s
  double consumed = 0;              ///< the consumer's Ack::consumed_s
  double done = 0;                  ///< the producer holds the Ack
  double serialization = 0;         ///< encode + decode inside [t0, consumed]
  std::uint64_t sent = 0, got = 0;  ///< the producer's seal and the consumer's

  /// Takes the consumer's side of the round from its Ack.
  void record(const Ack& ack) {
    held = ack.held_s;
    consumed = ack.consumed_s;
    got = ack.seal;
  }
};

/// A daemon the peer needs (RouDi, nats-server), stopped and reaped by its destructor at the
/// latest. Ownership: owns the process and whatever it leaves behind.
class Daemon {
 public:
  Daemon() = default;
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;
  Daemon(Daemon&&) = delete;
  Daemon& operator=(Daemon&&) = delete;
  virtual ~Daemon() = default;
  /// What the consumer and the producer reach it by.
  [[nodiscard]] virtual std::string address() const = 0;
  /// Stops it, reaps it, removes what it left; returns its peak RSS in bytes.
  virtual std::uint64_t stop() = 0;
};
using DaemonPtr = std::unique_ptr<Daemon>;

/// A fresh directory under $TMPDIR (or /tmp), removed with its contents by its owner. Move-only.
class TempDir {
 public:
  /// Errors: mkdtemp's.
  [[nodiscard]] static Result<TempDir> make(std::string_view prefix);
  TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  [[nodiscard]] std::string file(std::string_view name) const;

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

/// One peer baseline: its limits, daemon and two roles.
struct Peer {
  std::string_view name;
  /// A clear error for a payload size the system cannot carry.
  Result<> (*check_size)(std::uint64_t size);
  /// nullptr: no daemon.
  Result<DaemonPtr> (*start_daemon)(std::uint64_t size, Clock::time_point deadline);
  /// Receives runs + 1 payloads; writes "ready ADDRESS" (announceReady) once a producer can
  /// send.
  Result<> (*consume)(const RoleArgs& args);
  Result<std::vector<Round>> (*produce)(const RoleArgs& args);
};

/// The peers, each defined in its own file and built when its library was found.
extern const Peer kIceoryxPeer;  // iceoryx.cc
extern const Peer kNatsPeer;     // nats.cc
extern const Peer kGrpcPeer;     // grpc.cc

// Shared by the peers (common.cc).

[[nodiscard]] double nowSeconds();
/// Milliseconds left until `deadline`, at least 0.
[[nodiscard]] std::int64_t millisLeft(Clock::time_point deadline);
/// The consumer's side of a round: flips one byte first when RR_BENCH_CORRUPT_FOR_TEST is set,
/// checks and poisons the payload in place, and takes the timestamp.
[[nodiscard]] Ack checkPayload(std::span<std::uint8_t> payload);
/// A producer's payload: the recipe, pre-touched.
[[nodiscard]] std::vector<std::uint8_t> makePayload(std::uint64_t size);
/// Fills `payload` with the recipe in place (a buffer the peer lends, such as a loaned chunk).
void fillPayload(std::span<std::uint8_t> payload);
/// Stamps round `round` into the payload; returns its seal.
[[nodiscard]] std::uint64_t stampPayload(std::span<std::uint8_t> payload, int round);
/// Writes "ready ADDRESS\n" on kReportFd, the line the run waits for.
[[nodiscard]] Result<> announceReady(const std::string& address);
/// Writes `text` whole on kReportFd.
[[nodiscard]] Result<> writeReport(std::string_view text);
/// Reads a daemon's output on `fd` until a line containing `needle` arrived, and returns all it
/// read. Errors: kProtocol at end of file (the daemon exited; its output is in the detail),
/// kTimedOut at `deadline`.
[[nodiscard]] Result<std::string> readUntilLine(int fd, std::string_view needle,
                                                Clock::time_point deadline);
/// The last non-empty line of `text`, for messages.
[[nodiscard]] std::string lastLine(std::string_view text);
/// "N MiB" for messages.
[[nodiscard]] std::string mib(std::uint64_t bytes);

}  // namespace rr::bench::peers
