#pragma once

// Tracing as the host sees it: a span per transfer and per handler run, parented across threads
// and processes by a W3C trace context. No OpenTelemetry types here: the exporter lives in
// telemetry/ (telemetry::startOtlpTracer), and with no Tracer nothing is recorded at all.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace rr::host {

/// One span's W3C trace context (trace-id, parent-id, trace-flags): what a frame carries from
/// a sender to another process (proto::kFlagTrace).
struct TraceContext {
  std::array<std::uint8_t, 16> trace_id{};
  std::array<std::uint8_t, 8> span_id{};
  std::uint8_t flags = 0;  ///< W3C trace-flags; bit 0: sampled

  /// Both ids non-zero, as W3C requires of a context worth propagating.
  [[nodiscard]] bool valid() const noexcept;

  static constexpr std::size_t kWireSize = 25;  ///< trace_id | span_id | flags
  void write(std::span<std::byte, kWireSize> out) const noexcept;
  /// Any 25 bytes decode; a peer's all-zero ids give an invalid context (a new trace).
  [[nodiscard]] static TraceContext read(std::span<const std::byte, kWireSize> in) noexcept;
};

/// A span in flight; it ends when destroyed. Thread-safety: one thread at a time.
class Span {
 public:
  Span() = default;
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;
  Span(Span&&) = delete;
  Span& operator=(Span&&) = delete;
  virtual ~Span() = default;

  [[nodiscard]] virtual TraceContext context() const noexcept = 0;
  virtual void set(std::string_view key, std::int64_t value) = 0;
  virtual void set(std::string_view key, std::string_view value) = 0;
  /// Marks the span failed, with `why` (an rr_status_t name).
  virtual void fail(std::string_view why) = 0;
  /// A point in time inside the span (a guest's span event).
  virtual void event(std::string_view name) = 0;
};

enum class SpanKind {
  kInternal,  ///< a workflow run
  kClient,    ///< a send, from the sender's side
  kServer,    ///< a handler run, on the receiver's side
};

/// Makes spans. Thread-safety: start() from any thread.
class Tracer {
 public:
  Tracer() = default;
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;
  Tracer(Tracer&&) = delete;
  Tracer& operator=(Tracer&&) = delete;
  virtual ~Tracer() = default;
  /// A span named `name`, child of `parent`; a new trace's root when `parent` is not valid().
  [[nodiscard]] virtual std::unique_ptr<Span> start(std::string_view name, SpanKind kind,
                                                    const TraceContext& parent) = 0;
};

/// The context the calling thread works in: its handler's span while one runs, the workflow
/// run's while a function's _start runs; the parent of the thread's sends. Invalid outside.
[[nodiscard]] const TraceContext& currentTrace() noexcept;

/// Makes `context` the calling thread's currentTrace() until destroyed, then restores the one
/// before. Scopes nest; each must end on the thread that made it.
class TraceScope {
 public:
  explicit TraceScope(const TraceContext& context) noexcept;
  ~TraceScope();
  TraceScope(const TraceScope&) = delete;
  TraceScope& operator=(const TraceScope&) = delete;
  TraceScope(TraceScope&&) = delete;
  TraceScope& operator=(TraceScope&&) = delete;

 private:
  TraceContext previous_;
};

}  // namespace rr::host
