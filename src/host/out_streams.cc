#include "roadrunner/host/out_streams.h"

#include <algorithm>
#include <atomic>
#include <chrono>

#include "roadrunner/host/imports.h"
#include "roadrunner/host/trace.h"

namespace rr::host {

std::uint64_t nextStreamId() noexcept {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

Status OutStreams::open(std::string_view target, std::uint32_t& handle) {
  const Router::Route route = router_->route(self_, target);
  if (route.status != Status::kOk) {
    return route.status;
  }
  const auto free = std::ranges::find_if(streams_, [](const auto& s) { return !s.has_value(); });
  if (free == streams_.end()) {
    return Status::kNoMemory;
  }
  free->emplace(
      Stream{.endpoints = route.endpoints, .metrics = route.metrics, .id = nextStreamId()});
  if (tracer_ != nullptr) {
    auto& span = (*free)->span;
    span = tracer_->start("roadrunner.stream", SpanKind::kClient, currentTrace());
    span->set("roadrunner.source", self_);
    span->set("roadrunner.target", target);
    if (route.metrics != nullptr) {
      span->set("roadrunner.mode", route.metrics->mode);
    }
  }
  handle = static_cast<std::uint32_t>(free - streams_.begin()) + 1;
  return Status::kOk;
}

OutStreams::Stream* OutStreams::find(std::uint32_t handle) noexcept {
  if (handle == 0 || handle > streams_.size()) {
    return nullptr;
  }
  auto& slot = streams_[handle - 1];
  return slot ? &*slot : nullptr;
}

std::size_t OutStreams::openCount() const noexcept {
  return static_cast<std::size_t>(
      std::ranges::count_if(streams_, [](const auto& s) { return s.has_value(); }));
}

DeliveryResult OutStreams::deliver(Stream& stream, StreamEvent event,
                                   std::span<const std::byte> chunk, std::uint32_t abort_status,
                                   std::span<std::byte> take) {
  const auto start = std::chrono::steady_clock::now();
  const Delivery delivery{
      .source = self_,
      .payload = chunk,
      // One receiver may take a moved chunk's pages; a group's members each copy it.
      .take = stream.endpoints->size() == 1 ? take : std::span<std::byte>{},
      .trace = stream.span ? stream.span->context() : TraceContext{},
      .stream = {
          .event = event, .id = stream.id, .seq = stream.seq++, .abort_status = abort_status}};
  const DeliveryResult result = deliverToAll(*stream.endpoints, delivery);
  const auto start_ns = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(start.time_since_epoch()).count());
  if (stream.metrics != nullptr && event == StreamEvent::kData) {
    stream.metrics->record(static_cast<std::uint32_t>(result.status), chunk.size(), start_ns,
                           result);
  }
  stats_->copies.fetch_add(copiesOf(result.copied_bytes, chunk.size()), std::memory_order_relaxed);
  stats_->copied_bytes.fetch_add(result.copied_bytes, std::memory_order_relaxed);
  stats_->sender_copied_bytes.fetch_add(result.sender_copied_bytes, std::memory_order_relaxed);
  stats_->moved_bytes.fetch_add(result.moved_bytes, std::memory_order_relaxed);
  stats_->nanos.fetch_add(
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now() - start)
                                     .count()),
      std::memory_order_relaxed);
  if (result.status == Status::kOk) {
    stats_->bytes.fetch_add(chunk.size(), std::memory_order_relaxed);
  } else {
    stats_->failures.fetch_add(1, std::memory_order_relaxed);
  }
  return result;
}

Status OutStreams::write(std::uint32_t handle, std::span<const std::byte> chunk,
                         std::span<std::byte> take, bool* taken) {
  Stream* stream = find(handle);
  if (stream == nullptr) {
    return Status::kInvalid;
  }
  if (stream->failed != Status::kOk) {
    return stream->failed;  // nothing more is delivered
  }
  stats_->sends.fetch_add(1, std::memory_order_relaxed);
  const DeliveryResult result = deliver(*stream, StreamEvent::kData, chunk, 0, take);
  if (taken != nullptr) {
    *taken = result.taken;
  }
  stream->failed = result.status;
  if (stream->failed == Status::kOk) {
    stream->bytes += chunk.size();
    ++stream->chunks;
  }
  return stream->failed;
}

Status OutStreams::tryWrite(std::uint32_t handle, std::span<const std::byte> chunk) {
  const Stream* stream = find(handle);
  if (stream != nullptr && stream->failed == Status::kOk &&
      !std::ranges::all_of(*stream->endpoints,
                           [id = stream->id](Endpoint* e) { return e->readyForChunk(id); })) {
    return Status::kWouldBlock;
  }
  return write(handle, chunk);  // a member that got busy since costs a wait, never a lost chunk
}

Status OutStreams::close(std::uint32_t handle, std::uint32_t abort_status) {
  Stream* stream = find(handle);
  if (stream == nullptr) {
    return Status::kInvalid;
  }
  Status status = Status::kOk;
  if (stream->failed != Status::kOk) {
    // The receivers that still hold it hear an abort; the sender hears the failure.
    status = stream->failed;
    (void)deliver(*stream, StreamEvent::kAbort, {}, static_cast<std::uint32_t>(status));
  } else if (abort_status != 0) {
    status = deliver(*stream, StreamEvent::kAbort, {}, abort_status).status;
  } else {
    status = deliver(*stream, StreamEvent::kEnd, {}, 0).status;
  }
  finish(handle, stream->failed != Status::kOk ? stream->failed : status, abort_status);
  return status;
}

void OutStreams::finish(std::uint32_t handle, Status status, std::uint32_t abort_status) noexcept {
  auto& slot = streams_[handle - 1];
  if (slot.has_value() && slot->span) {
    setStreamOutcome(*slot->span, slot->bytes, slot->chunks, status, abort_status);
  }
  slot.reset();  // the span ends here
}

void setStreamOutcome(Span& span, std::uint64_t bytes, std::uint64_t chunks, Status status,
                      std::uint32_t abort_status) {
  span.set("roadrunner.bytes", static_cast<std::int64_t>(bytes));
  span.set("roadrunner.chunks", static_cast<std::int64_t>(chunks));
  span.set("roadrunner.status", statusName(status));
  if (abort_status != 0) {
    span.set("roadrunner.abort_status", std::int64_t{abort_status});
    span.fail("aborted");
  } else if (status != Status::kOk) {
    span.fail(statusName(status));
  }
}

void OutStreams::abortAll() noexcept {
  for (std::uint32_t handle = 1; handle <= streams_.size(); ++handle) {
    if (Stream* stream = find(handle)) {
      (void)deliver(*stream, StreamEvent::kAbort, {},
                    static_cast<std::uint32_t>(Status::kUnavailable));
      finish(handle, Status::kUnavailable, 0);
    }
  }
}

}  // namespace rr::host
