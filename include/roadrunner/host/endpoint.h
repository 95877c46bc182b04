#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "roadrunner/base/error.h"
#include "roadrunner/host/completion.h"
#include "roadrunner/host/shared_buffers.h"
#include "roadrunner/host/status.h"
#include "roadrunner/host/trace.h"

namespace rr::host {

/// Bytes that arrive from outside this process (a socket, a memfd). The receiving side hands the
/// source the guest's buffer to fill, and tells it when the guest is about to free that buffer.
class PayloadSource {
 public:
  PayloadSource() = default;
  PayloadSource(const PayloadSource&) = delete;
  PayloadSource& operator=(const PayloadSource&) = delete;
  PayloadSource(PayloadSource&&) = delete;
  PayloadSource& operator=(PayloadSource&&) = delete;
  virtual ~PayloadSource() = default;

  /// Puts the payload into `dst` (exactly its size). `pages` is `dst` rounded up to whole 4 KiB
  /// pages when `dst` is page-aligned and that range lies inside the guest's current memory
  /// (else empty): only then may a source map pages instead of copying. Returns the bytes it
  /// copied into `dst` (0: mapped), counted where the copy is made. On error the handler does not
  /// run.
  [[nodiscard]] virtual Result<std::uint32_t> fill(std::span<std::byte> dst,
                                                   std::span<std::byte> pages) = 0;
  /// The handler has returned and the guest is about to free the buffer: undo any mapping.
  virtual void detach() noexcept {}
};

/// What a delivery is to a stream (the stream_* imports): a plain message, or one event of a
/// stream.
enum class StreamEvent : std::uint8_t {
  kNone,   ///< a plain message
  kData,   ///< a chunk: the payload
  kEnd,    ///< the stream is complete (no payload)
  kAbort,  ///< the stream was cut short (no payload); `abort_status` says why
};

struct StreamPart {
  StreamEvent event = StreamEvent::kNone;
  /// The stream's, unique in this process for its life (nextStreamId()); a serving process
  /// gives each stream that arrives an id of its own.
  std::uint64_t id = 0;
  std::uint64_t seq = 0;  ///< events of this stream before this one
  std::uint32_t abort_status = 0;
};

/// A fresh stream id (never 0), unique in this process.
[[nodiscard]] std::uint64_t nextStreamId() noexcept;

/// One message on its way to a receiver. Every span points into the sender's linear memory and
/// stays valid only while `Endpoint::deliver` runs: the sender is blocked in its `send` call
/// until then, so its memory neither changes nor grows.
struct Delivery {
  std::string_view source;             ///< the sending function's name
  std::span<const std::byte> payload;  ///< the bytes to deliver
  std::span<std::byte> reply;          ///< where the receiver's reply goes (may be empty)
  /// A move send to one receiver: the same bytes as `payload`, which the receiving side may take
  /// (move their pages, leaving zeros). Empty: the payload is only lent.
  std::span<std::byte> take;
  /// Set when `payload` lies in the sender's shared buffer: a receiving side in this process
  /// may map its whole pages (MAP_PRIVATE) instead of copying them.
  std::optional<SharedView> shared;
  PayloadSource* remote = nullptr;  ///< set: the payload comes from here, not `payload`
  std::uint64_t remote_len = 0;     ///< the payload's size when `remote` is set
  /// The sender's span for this transfer (valid only while tracing): the handler's parent.
  TraceContext trace;
  /// The CPU the sending thread ran on when it handed this over, a hint (-1: unknown): a
  /// spinning receiver that keeps sharing a CPU with its spinning sender moves off it.
  int sender_cpu = -1;
  /// Set for a stream's events. A chunk (kData) completes once every receiver holds its copy,
  /// before its handler runs, with the stream's first failure so far (or kOk); kEnd and kAbort
  /// complete after the handler has seen them, kEnd with the stream's result.
  StreamPart stream;

  [[nodiscard]] std::uint64_t size() const noexcept {
    return remote != nullptr ? remote_len : payload.size();
  }
};

/// How many whole copies of a `len`-byte payload `copied_bytes` makes, to the nearest (0 for an
/// empty payload).
[[nodiscard]] constexpr std::uint64_t copiesOf(std::uint64_t copied_bytes,
                                               std::uint64_t len) noexcept {
  return len == 0 ? 0 : (copied_bytes + len / 2) / len;
}

/// Runs one delivery on the receiver's own thread, there and then (Poller::poll).
class HandleNow {
 public:
  [[nodiscard]] virtual DeliveryResult handleNow(const Delivery& delivery) = 0;
  /// A stream event (Delivery::stream): `held` completes as soon as the receiver holds the
  /// chunk, which may be before its handler has run.
  virtual void handleStreamNow(const Delivery& delivery, Completion& held) {
    held.done(handleNow(delivery));
  }

 protected:
  HandleNow() = default;
  HandleNow(const HandleNow&) = default;
  HandleNow& operator=(const HandleNow&) = default;
  HandleNow(HandleNow&&) = default;
  HandleNow& operator=(HandleNow&&) = default;
  ~HandleNow() = default;
};

/// Requests that a receiver's own thread looks for between deliveries (Endpoint::addPoller),
/// instead of another thread handing each one over: a connection's shared mailbox, which the
/// receiver then answers itself. A round then costs one hand-off each way, sender to receiver
/// and back, where a connection thread in between would add two more.
/// Thread-safety: poll, sleep and wake run on the receiver's thread only.
class Poller {
 public:
  Poller() = default;
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;
  Poller(Poller&&) = delete;
  Poller& operator=(Poller&&) = delete;
  virtual ~Poller() = default;

  /// If a request waits: runs its delivery through `receiver`, answers it, returns true.
  [[nodiscard]] virtual bool poll(HandleNow& receiver) = 0;
  /// The receiver is about to sleep: a request from now on must wake it (Endpoint::wakeToPoll).
  /// False if one already waits; the receiver polls again instead of sleeping.
  [[nodiscard]] virtual bool sleep() noexcept = 0;
  /// The receiver is awake again and polls: requests need no wake-up.
  virtual void wake() noexcept = 0;
};

/// A place messages can be delivered to: a function instance in this process, or a connection
/// to one elsewhere. Thread-safety: `deliver` may be called from many threads at once.
class Endpoint {
 public:
  Endpoint() = default;
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;
  Endpoint(Endpoint&&) = delete;
  Endpoint& operator=(Endpoint&&) = delete;
  virtual ~Endpoint() = default;

  /// Starts a delivery; `completion.done()` is called once the receiver's handler has returned
  /// (or the delivery failed; a stream's chunk: once the receiver holds it, Delivery::stream). The
  /// caller keeps `delivery`'s memory unchanged until then.
  virtual void deliverAsync(const Delivery& delivery, Completion& completion) = 0;

  /// Whether a sender waiting for this endpoint should spin before it sleeps: the handler runs
  /// on a thread of this process that hands the result back within microseconds.
  [[nodiscard]] virtual bool spinsForCompletion() const noexcept { return false; }

  /// Whether deliverAsync completes before it returns, on the caller's thread (a socket's): a
  /// send that should not hold its sender hands it to a SendWorker instead.
  [[nodiscard]] virtual bool completesInline() const noexcept { return false; }

  /// Whether the receiver runs in this process, so that it may map any file the sender's shared
  /// buffer lives in (a file of huge pages included), not only a sealed memfd.
  [[nodiscard]] virtual bool inProcess() const noexcept { return false; }

  /// Whether a chunk of stream `stream_id` delivered now would be taken without waiting for the
  /// receiver's earlier work (stream_try_write). Called on the stream's writing thread. An
  /// endpoint that cannot tell says yes: the write then waits, as stream_write does.
  [[nodiscard]] virtual bool readyForChunk(std::uint64_t /*stream_id*/) { return true; }
  /// Has this receiver's own thread poll `poller` between deliveries until removePoller. False:
  /// it never will, and the caller hands the poller's requests over itself (deliver).
  [[nodiscard]] virtual bool addPoller(Poller* /*poller*/) { return false; }
  /// Returns once the receiver's thread no longer touches `poller`.
  virtual void removePoller(Poller* /*poller*/) {}
  /// A poller's request waits while the receiver may sleep: it polls again.
  virtual void wakeToPoll() {}

  /// Delivers and waits until the receiver's handler has returned.
  [[nodiscard]] DeliveryResult deliver(const Delivery& delivery) {
    Completion completion(1, spinsForCompletion());
    deliverAsync(delivery, completion);
    return completion.wait();
  }
};

/// Whether a sender waiting for all of `endpoints` should spin first (each spinsForCompletion).
[[nodiscard]] inline bool spinsForAll(const std::vector<Endpoint*>& endpoints) noexcept {
  return std::ranges::all_of(endpoints, [](const Endpoint* e) { return e->spinsForCompletion(); });
}

/// Delivers to every one of `endpoints` at once (a group's members) and waits for all of them.
[[nodiscard]] inline DeliveryResult deliverToAll(const std::vector<Endpoint*>& endpoints,
                                                 const Delivery& delivery) {
  Completion completion(static_cast<std::uint32_t>(endpoints.size()), spinsForAll(endpoints));
  for (Endpoint* endpoint : endpoints) {
    endpoint->deliverAsync(delivery, completion);
  }
  return completion.wait();
}

}  // namespace rr::host
