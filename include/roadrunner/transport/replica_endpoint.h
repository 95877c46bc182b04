#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "roadrunner/base/error.h"
#include "roadrunner/host/endpoint.h"
#include "roadrunner/transport/address.h"
#include "roadrunner/transport/socket_endpoint.h"

namespace rr::transport {

struct ReplicaEndpointOptions {
  SocketEndpointOptions socket;  ///< for each replica's connection (connect_timeout_ms per try)
  /// How long a resolution stays current: scaling shows within this time.
  std::chrono::milliseconds refresh{1000};
  /// How long a replica that refused a connection is passed over (unless none other is left).
  std::chrono::milliseconds down_for{2000};
  /// The most replicas kept from one answer (the first, in the resolver's order; a warning says
  /// how many were left out): a resolver can answer with thousands of addresses.
  std::size_t max_replicas = 256;
  /// The most replicas one delivery tries to connect to, per pass (a delivery makes a second
  /// pass after resolving again), so a send to a name whose replicas are all unreachable ends
  /// after 2 x max_tries connect timeouts, not one per replica.
  std::size_t max_tries = 4;
};

/// A receiver that runs as several replicas behind one name, "dns:NAME:PORT": every IPv4
/// address NAME resolves to (a Kubernetes headless Service's name resolves to its ready pods'
/// IPs; a ClusterIP Service's to one address that the node spreads per connection).
///
/// - **Spread.** Deliveries go to the live replicas in turn.
/// - **Scaling.** The name is resolved again once the last resolution is older than `refresh`,
///   and at once when no replica could be reached: new replicas join, ones gone from the answer
///   leave. One thread asks while the others send to the replicas known; a failed resolution
///   (DNS down) keeps them.
/// - **Streams.** A stream's first event goes to a replica as a message does; its later events
///   follow it to the same replica until its end.
/// - **Failures.** A delivery that could not connect to its replica (`not_sent`: the replica
///   never saw it) goes to the next replica, and the failed one is passed over for `down_for`.
///   A delivery that failed after its bytes left is never sent again: the replica may have run
///   the handler, so the sender gets the status (RR_EUNAVAILABLE) instead of a duplicate.
///
/// Thread-safety: `deliverAsync` from any thread; it completes before returning.
class ReplicaEndpoint final : public host::Endpoint {
 public:
  /// The addresses of the replicas now: kNotFound (or any error) when there are none.
  using Resolve = std::function<Result<std::vector<Address>>()>;

  /// getaddrinfo(NAME) for IPv4 stream sockets: every address, as tcp:IP:PORT.
  [[nodiscard]] static Resolve dnsResolver(std::string name, std::uint16_t port);

  /// `display` names the replica set in logs (its dns: address); `target` is the receiving
  /// function's name, carried in every frame.
  ReplicaEndpoint(std::string display, Resolve resolve, std::string target,
                  ReplicaEndpointOptions options);
  ~ReplicaEndpoint() override;
  ReplicaEndpoint(const ReplicaEndpoint&) = delete;
  ReplicaEndpoint& operator=(const ReplicaEndpoint&) = delete;
  ReplicaEndpoint(ReplicaEndpoint&&) = delete;
  ReplicaEndpoint& operator=(ReplicaEndpoint&&) = delete;

  void deliverAsync(const host::Delivery& delivery, host::Completion& completion) override;
  /// The stream's replica's readiness; ready before its first event picks one.
  [[nodiscard]] bool readyForChunk(std::uint64_t stream_id) override;
  [[nodiscard]] bool completesInline() const noexcept override { return true; }

  /// The replicas of the last resolution, as "tcp:IP:PORT".
  [[nodiscard]] std::vector<std::string> replicas();

 private:
  using Clock = std::chrono::steady_clock;
  struct Replica {
    Address address;
    std::shared_ptr<SocketEndpoint> endpoint;
    Clock::time_point down_until{};
  };

  /// The replicas to try, in order: the live ones from the next in turn, then the ones passed
  /// over. Resolves again first when the last resolution is stale or `force`.
  [[nodiscard]] std::vector<std::shared_ptr<SocketEndpoint>> candidates(bool force);
  /// Resolves the name if the last answer is stale (or `force`), outside the lock.
  void refresh(bool force);
  /// Replaces the replicas with `addresses`, keeping the endpoints of those that stay.
  void merge(std::vector<Address> addresses);
  void markDown(const SocketEndpoint* endpoint);
  [[nodiscard]] host::DeliveryResult deliverOnce(const host::Delivery& delivery, bool force);
  /// A stream's event: its first goes to a replica as a delivery does, the rest to the same one.
  [[nodiscard]] host::DeliveryResult deliverStream(const host::Delivery& delivery);

  std::string display_;
  Resolve resolve_;
  std::string target_;
  ReplicaEndpointOptions options_;
  std::mutex mutex_;
  std::vector<Replica> replicas_;
  // Replicas gone from the answer, kept while a thread may hold connections to them in its
  // own descriptor table (SocketEndpointOptions::thread_private_fds): bounded, oldest dropped.
  std::vector<std::shared_ptr<SocketEndpoint>> retired_;
  Clock::time_point resolved_at_{};
  bool resolved_ = false;   ///< an answer (or a failure) came at least once
  bool resolving_ = false;  ///< a thread is asking now
  std::size_t next_ = 0;
  /// Each open stream's replica, by stream id, from its first event to its last.
  std::map<std::uint64_t, std::shared_ptr<SocketEndpoint>> pinned_;
};

}  // namespace rr::transport
