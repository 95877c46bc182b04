#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "roadrunner/guest/abi.h"
#include "roadrunner/host/endpoint.h"
#include "roadrunner/host/router.h"
#include "roadrunner/host/status.h"
#include "roadrunner/host/trace.h"

namespace rr::host {

struct TransferStats;

/// A stream span's outcome, at either end (the sender's "roadrunner.stream", a receiver's
/// "roadrunner.stream.handle"): what it carried, its status, and an abort's code (0: none),
/// which fails the span as "aborted"; any other status but kOk fails it with its name.
void setStreamOutcome(Span& span, std::uint64_t bytes, std::uint64_t chunks, Status status,
                      std::uint32_t abort_status);

/// The streams one function instance has open as a sender (the stream_* imports), at most
/// RR_MAX_STREAMS. A stream is bound to its receivers when it opens; each write is one
/// delivery of a chunk (StreamEvent::kData) to every one of them, which returns once each holds
/// its copy, so the sender fills its next chunk while the receivers work on this one.
///
///   sender memory ──memcpy (embedded) or the socket──▶ receiver's rr_alloc buffer ──▶ rr_on_stream
///   owner: sender, blocked in stream_write              owner: the receiver's host, then its guest
///
/// The first failure (a handler's, a receiver gone) sticks: later writes return it and deliver
/// nothing, and closing the stream aborts it.
///
/// With a tracer each stream is a client span, "roadrunner.stream", from its open to its close
/// (child of the thread's context then); every event carries the span's context, so each
/// receiver's stream span is its child. Ownership: borrows the router's endpoints, the stats and
/// the tracer, which outlive it. Thread-safety: the instance's thread only.
class OutStreams {
 public:
  OutStreams(std::string self, const Router* router, TransferStats* stats)
      : self_(std::move(self)), router_(router), stats_(stats) {}
  OutStreams(const OutStreams&) = delete;
  OutStreams& operator=(const OutStreams&) = delete;
  OutStreams(OutStreams&&) = delete;
  OutStreams& operator=(OutStreams&&) = delete;
  /// Delivers nothing: the endpoints may be gone by then. Its owner calls abortAll() while
  /// they live (the instance's thread, when the instance ends).
  ~OutStreams() = default;

  /// A stream to `target`, or why not: kUnknownTarget / kNotAllowed as for a send, kNoMemory
  /// when RR_MAX_STREAMS are open. Delivers nothing yet. The handle is 1..RR_MAX_STREAMS.
  [[nodiscard]] Status open(std::string_view target, std::uint32_t& handle);
  /// One chunk (may be empty) to every receiver; kInvalid for a handle that is not open.
  /// `take`: the chunk's own bytes, which a single receiver may take instead of copying them
  /// (Delivery::take, a move); `*taken` then says whether it did.
  [[nodiscard]] Status write(std::uint32_t handle, std::span<const std::byte> chunk,
                             std::span<std::byte> take = {}, bool* taken = nullptr);
  /// write(), unless a receiver is not ready to take the chunk at once
  /// (Endpoint::readyForChunk): then kWouldBlock, nothing delivered, the stream unchanged.
  [[nodiscard]] Status tryWrite(std::uint32_t handle, std::span<const std::byte> chunk);
  /// `abort_status` 0: the end, and the stream's result once every receiver's handler has seen
  /// it; otherwise an abort carrying it (kOk once delivered). A stream that had failed is
  /// aborted with its failure, which is returned. Frees the handle either way.
  [[nodiscard]] Status close(std::uint32_t handle, std::uint32_t abort_status);
  /// Aborts every open stream with kUnavailable: its instance ended without closing them.
  void abortAll() noexcept;
  /// Streams opened from now on are spans of `tracer` (null: none).
  void setTracer(Tracer* tracer) noexcept { tracer_ = tracer; }

  [[nodiscard]] std::size_t openCount() const noexcept;

 private:
  struct Stream {
    const std::vector<Endpoint*>* endpoints = nullptr;  // the router's, stable
    EdgeMetrics* metrics = nullptr;
    std::uint64_t id = 0;
    std::uint64_t seq = 0;
    Status failed = Status::kOk;
    std::unique_ptr<Span> span;  // with a tracer
    std::uint64_t bytes = 0;     // delivered, for the span
    std::uint64_t chunks = 0;
  };
  [[nodiscard]] Stream* find(std::uint32_t handle) noexcept;
  // Ends the stream in slot `handle`, its span with `status` (and the guest's abort code).
  void finish(std::uint32_t handle, Status status, std::uint32_t abort_status) noexcept;
  [[nodiscard]] DeliveryResult deliver(Stream& stream, StreamEvent event,
                                       std::span<const std::byte> chunk, std::uint32_t abort_status,
                                       std::span<std::byte> take = {});

  std::string self_;
  const Router* router_;
  TransferStats* stats_;
  Tracer* tracer_ = nullptr;
  std::array<std::optional<Stream>, RR_MAX_STREAMS> streams_;
};

}  // namespace rr::host
