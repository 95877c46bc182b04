#include "roadrunner/host/imports.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string_view>

#include "roadrunner/host/guest_memory.h"

namespace rr::host {
namespace {

void storeU32(std::span<std::byte> out, std::uint32_t value) noexcept {
  std::memcpy(out.data(), &value, sizeof value);  // wasm is little-endian, so is x86-64
}

bool overlap(std::span<const std::byte> a, std::span<const std::byte> b) noexcept {
  return !a.empty() && !b.empty() && a.data() < b.data() + b.size() &&
         b.data() < a.data() + a.size();
}

}  // namespace

std::unique_ptr<Span> Imports::startSendSpan(std::string_view target, const Router::Route& route,
                                             std::uint32_t len) {
  auto span = tracer_->start("roadrunner.send", SpanKind::kClient, currentTrace());
  span->set("roadrunner.source", self_);
  span->set("roadrunner.target", target);
  if (route.metrics != nullptr) {
    span->set("roadrunner.mode", route.metrics->mode);
  }
  span->set("roadrunner.bytes", std::int64_t{len});
  return span;
}

void Imports::endSendSpan(Span& span, std::uint32_t len, const DeliveryResult& result) {
  span.set("roadrunner.copies", static_cast<std::int64_t>(copiesOf(result.copied_bytes, len)));
  span.set("roadrunner.copied_bytes", static_cast<std::int64_t>(result.copied_bytes));
  span.set("roadrunner.moved_bytes", static_cast<std::int64_t>(result.moved_bytes));
  span.set("roadrunner.mapped_bytes", static_cast<std::int64_t>(result.mapped_bytes));
  span.set("roadrunner.status", statusName(result.status));
  if (result.status != Status::kOk) {
    span.fail(statusName(result.status));
  }
}

void Imports::recordTiming(std::chrono::steady_clock::time_point start,
                           const DeliveryResult& result) {
  const auto start_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(start.time_since_epoch()).count();
  const auto done_ns = static_cast<std::int64_t>(result.done_ns);
  timings_.push_back(
      {.consumed_s = done_ns > start_ns ? static_cast<double>(done_ns - start_ns) * 1e-9 : 0.0,
       .round_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
       .faults = result.faults});
}

Status Imports::send(std::span<std::byte> memory, const SendArgs& args, SendKind kind,
                     SharedBuffers* shared_buffers) {
  const auto start = std::chrono::steady_clock::now();
  const auto maybe_target = guestSlice(memory, args.target, args.target_len);
  const auto maybe_payload = guestSlice(memory, args.buf, args.len);
  const auto maybe_reply = guestSlice(memory, args.reply, args.reply_cap);
  const auto maybe_reply_len = args.reply_len_out == 0
                                   ? std::optional<std::span<std::byte>>(std::span<std::byte>{})
                                   : guestSlice(memory, args.reply_len_out, sizeof(std::uint32_t));
  const std::optional<SharedView> shared = shared_buffers != nullptr && maybe_payload
                                               ? shared_buffers->find(args.buf, args.len)
                                               : std::nullopt;
  const auto finish = [&](Status status, std::uint64_t copied_bytes,
                          const DeliveryResult& result = {}) {
    const bool cleared = kind == SendKind::kMove && status != Status::kFault && !result.taken;
    if (result.shared_held) {
      // Before the sender runs again: nothing it writes may reach a receiver still mapping it.
      shared_buffers->detach(memory, args.buf, args.len, cleared);
    } else if (cleared && shared) {
      shared_buffers->clear(memory, args.buf, args.len);
    } else if (cleared) {
      // Not taken by the receiving side (another process, a group, a failed delivery): the
      // bytes went by copy or not at all, and the range is cleared all the same.
      std::memset(maybe_payload->data(), 0, maybe_payload->size());
    }
    if (record_ && status == Status::kOk) {
      recordTiming(start, result);  // the round ends here, a move's range cleared
    }
    stats_->copies.fetch_add(copiesOf(copied_bytes, args.len), std::memory_order_relaxed);
    stats_->moved_bytes.fetch_add(result.moved_bytes, std::memory_order_relaxed);
    stats_->mapped_bytes.fetch_add(result.mapped_bytes, std::memory_order_relaxed);
    stats_->sends.fetch_add(1, std::memory_order_relaxed);
    if (status == Status::kOk) {
      stats_->bytes.fetch_add(args.len, std::memory_order_relaxed);
    } else {
      stats_->failures.fetch_add(1, std::memory_order_relaxed);
    }
    stats_->copied_bytes.fetch_add(copied_bytes, std::memory_order_relaxed);
    stats_->nanos.fetch_add(
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                       std::chrono::steady_clock::now() - start)
                                       .count()),
        std::memory_order_relaxed);
    return status;
  };
  if (!maybe_target || !maybe_payload || !maybe_reply || !maybe_reply_len) {
    return finish(Status::kFault, 0);
  }
  if (args.target_len == 0 || args.target_len > kMaxTargetName) {
    return finish(Status::kInvalid, 0);
  }
  if (kind == SendKind::kMove &&
      (overlap(*maybe_payload, *maybe_reply) || overlap(*maybe_payload, *maybe_reply_len))) {
    return finish(Status::kInvalid, 0);  // the reply would land in the range being cleared
  }
  const std::string_view target(reinterpret_cast<const char*>(maybe_target->data()),
                                maybe_target->size());
  const Router::Route route = router_->route(self_, target);
  if (route.status != Status::kOk) {
    return finish(route.status, 0);
  }
  const auto& endpoints = *route.endpoints;
  if (endpoints.size() > 1 && args.reply_cap > 0) {
    return finish(Status::kInvalid, 0);  // one reply buffer cannot take a group's replies
  }
  std::unique_ptr<Span> span;
  if (tracer_ != nullptr) {
    span = startSendSpan(target, route, args.len);
  }
  const Delivery delivery{.source = self_,
                          .payload = *maybe_payload,
                          .reply = *maybe_reply,
                          .take = kind == SendKind::kMove && endpoints.size() == 1
                                      ? *maybe_payload
                                      : std::span<std::byte>{},
                          .shared = shared,
                          .trace = span ? span->context() : TraceContext{}};
  const DeliveryResult result = deliverToAll(endpoints, delivery);
  if (route.metrics != nullptr) {
    route.metrics->record(
        static_cast<std::uint32_t>(result.status), args.len,
        static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(start.time_since_epoch()).count()),
        result);
  }
  if (span) {
    endSendSpan(*span, args.len, result);
  }
  if (!maybe_reply_len->empty()) {
    storeU32(*maybe_reply_len, result.reply_len);
  }
  return finish(result.status, result.copied_bytes, result);
}

Status Imports::reply(std::span<std::byte> memory, std::uint32_t buf, std::uint32_t len) {
  if (!in_handler_) {
    return Status::kNoReplyContext;
  }
  const auto maybe_bytes = guestSlice(memory, buf, len);
  if (!maybe_bytes) {
    return Status::kFault;
  }
  replied_ = true;
  reply_outcome_.len = len;
  if (reply_target_.empty()) {
    return Status::kOk;  // the sender asked for no reply (reply_cap 0): discarded
  }
  reply_outcome_.fit = len <= reply_target_.size();
  if (!reply_outcome_.fit) {
    return Status::kReplyTooLarge;
  }
  if (len > 0) {
    // The sender is blocked in its send call, so its memory is stable while we write into it.
    std::memcpy(reply_target_.data(), maybe_bytes->data(), len);
  }
  return Status::kOk;
}

Status Imports::addCounter(std::span<std::byte> memory, std::uint32_t name, std::uint32_t name_len,
                           std::uint32_t value) {
  const auto bytes = guestSlice(memory, name, name_len);
  if (!bytes) {
    return Status::kFault;
  }
  return stats_->guest.add(
      std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()), value);
}

Status Imports::spanEvent(std::span<std::byte> memory, std::uint32_t name, std::uint32_t name_len) {
  const auto bytes = guestSlice(memory, name, name_len);
  if (!bytes) {
    return Status::kFault;
  }
  const std::string_view event(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  if (!GuestCounters::validName(event)) {
    return Status::kInvalid;
  }
  if (span_events_ >= kMaxSpanEvents) {
    return Status::kNoMemory;
  }
  ++span_events_;
  if (span_ != nullptr) {
    span_->event(event);
  }
  return Status::kOk;
}

Status Imports::sendAsync(std::span<std::byte> memory, const SendArgs& args,
                          std::uint32_t ticket_out) {
  const auto maybe_target = guestSlice(memory, args.target, args.target_len);
  const auto maybe_payload = guestSlice(memory, args.buf, args.len);
  const auto maybe_ticket = guestSlice(memory, ticket_out, sizeof(std::uint32_t));
  if (!maybe_target || !maybe_payload || !maybe_ticket) {
    return Status::kFault;
  }
  if (args.target_len == 0 || args.target_len > kMaxTargetName) {
    return Status::kInvalid;
  }
  const std::string_view target(reinterpret_cast<const char*>(maybe_target->data()),
                                maybe_target->size());
  const Router::Route route = router_->route(self_, target);
  if (route.status != Status::kOk) {
    return route.status;
  }
  if (in_flight_.size() >= RR_MAX_IN_FLIGHT) {
    return Status::kNoMemory;
  }
  const auto& endpoints = *route.endpoints;
  next_ticket_ = next_ticket_ == UINT32_MAX ? 1 : next_ticket_ + 1;
  InFlight& sent = in_flight_.emplace_back(
      InFlight{.ticket = next_ticket_,
               .completion = std::make_unique<Completion>(
                   static_cast<std::uint32_t>(endpoints.size()), spinsForAll(endpoints)),
               .metrics = route.metrics,
               .len = args.len,
               .start = std::chrono::steady_clock::now()});
  // Lent only: no move and no shared pages, whose owner would change them under the receiver.
  const Delivery delivery{.source = self_, .payload = *maybe_payload};
  for (Endpoint* endpoint : endpoints) {
    // A socket's delivery would complete here, before the start returns: the worker carries it.
    if (!endpoint->completesInline() || !worker_.post(*endpoint, delivery, *sent.completion)) {
      endpoint->deliverAsync(delivery, *sent.completion);
    }
  }
  storeU32(*maybe_ticket, sent.ticket);
  return Status::kOk;
}

Status Imports::finishInFlight(InFlight& sent) {
  const DeliveryResult result = sent.completion->wait();
  const auto start_ns = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(sent.start.time_since_epoch()).count());
  if (sent.metrics != nullptr) {
    sent.metrics->record(static_cast<std::uint32_t>(result.status), sent.len, start_ns, result);
  }
  stats_->sends.fetch_add(1, std::memory_order_relaxed);
  stats_->copies.fetch_add(copiesOf(result.copied_bytes, sent.len), std::memory_order_relaxed);
  stats_->copied_bytes.fetch_add(result.copied_bytes, std::memory_order_relaxed);
  if (result.status == Status::kOk) {
    stats_->bytes.fetch_add(sent.len, std::memory_order_relaxed);
  } else {
    stats_->failures.fetch_add(1, std::memory_order_relaxed);
  }
  return result.status;
}

Status Imports::sendWait(std::uint32_t ticket) {
  const auto it =
      std::ranges::find_if(in_flight_, [ticket](const InFlight& s) { return s.ticket == ticket; });
  if (ticket == 0 || it == in_flight_.end()) {
    return Status::kInvalid;
  }
  const Status status = finishInFlight(*it);
  in_flight_.erase(it);
  return status;
}

void Imports::finishAsyncSends() noexcept {
  for (InFlight& sent : in_flight_) {
    (void)finishInFlight(sent);
  }
  in_flight_.clear();
}

Status Imports::streamOpen(std::span<std::byte> memory, std::uint32_t target,
                           std::uint32_t target_len, std::uint32_t handle_out) {
  const auto name = guestSlice(memory, target, target_len);
  const auto out = guestSlice(memory, handle_out, sizeof(std::uint32_t));
  if (!name || !out) {
    return Status::kFault;
  }
  if (target_len == 0 || target_len > kMaxTargetName) {
    return Status::kInvalid;
  }
  std::uint32_t handle = 0;
  const Status status = streams_.open(
      std::string_view(reinterpret_cast<const char*>(name->data()), name->size()), handle);
  if (status == Status::kOk) {
    storeU32(*out, handle);
  }
  return status;
}

Status Imports::streamWrite(std::span<std::byte> memory, std::uint32_t handle, std::uint32_t buf,
                            std::uint32_t len, SendKind kind) {
  const auto chunk = guestSlice(memory, buf, len);
  if (!chunk) {
    return Status::kFault;
  }
  if (kind == SendKind::kLend) {
    return streams_.write(handle, *chunk);
  }
  if (kind == SendKind::kTry) {
    return streams_.tryWrite(handle, *chunk);
  }
  bool taken = false;
  const Status status = streams_.write(handle, *chunk, *chunk, &taken);
  if (!taken) {
    // Copied (a group, another process), or not delivered at all: cleared all the same.
    std::memset(chunk->data(), 0, chunk->size());
  }
  return status;
}

void Imports::beginReply(std::span<std::byte> target) noexcept {
  span_events_ = 0;  // a handler run's own budget
  in_handler_ = true;
  replied_ = false;
  reply_target_ = target;
  reply_outcome_ = {};
}

Imports::ReplyOutcome Imports::endReply() noexcept {
  in_handler_ = false;
  reply_target_ = {};
  return reply_outcome_;
}

}  // namespace rr::host
