#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "roadrunner/host/endpoint.h"
#include "roadrunner/host/guest_counters.h"
#include "roadrunner/host/out_streams.h"
#include "roadrunner/host/router.h"
#include "roadrunner/host/send_worker.h"
#include "roadrunner/host/status.h"
#include "roadrunner/host/trace.h"

namespace rr::host {

/// The raw arguments of the guest's `send` import (offsets and lengths in its memory).
struct SendArgs {
  std::uint32_t target = 0;
  std::uint32_t target_len = 0;
  std::uint32_t buf = 0;
  std::uint32_t len = 0;
  std::uint32_t reply = 0;
  std::uint32_t reply_cap = 0;
  std::uint32_t reply_len_out = 0;  ///< 0: the caller does not want the reply's length
};

/// Counters a function instance's transfers bump; read by `--stats` and the benchmark.
struct TransferStats {
  std::atomic<std::uint64_t> sends{0};
  std::atomic<std::uint64_t> failures{0};
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<std::uint64_t> copies{0};        ///< whole copies per send (copiesOf), summed
  std::atomic<std::uint64_t> copied_bytes{0};  ///< DeliveryResult::copied_bytes, summed
  /// Of copied_bytes, those this sender's thread copied itself (sender_copied_bytes), summed
  std::atomic<std::uint64_t> sender_copied_bytes{0};
  std::atomic<std::uint64_t> moved_bytes{0};   ///< DeliveryResult::moved_bytes, summed
  std::atomic<std::uint64_t> mapped_bytes{0};  ///< DeliveryResult::mapped_bytes, summed
  std::atomic<std::uint64_t> nanos{0};         ///< time spent in send, receiver included
  // Receiving side.
  std::atomic<std::uint64_t> deliveries{0};  ///< messages that reached the handler
  std::atomic<std::uint64_t> delivered_bytes{0};
  std::atomic<std::uint64_t> delivery_nanos{0};  ///< sender's send call -> handler entry
  GuestCounters guest;  ///< what the guest counted itself (the add_counter import)
};

/// One successful send's windows, from the sender's send call: until the receiver had done
/// with the bytes (its handler returned and the payload's pages were detached; a group: its last
/// member), and until the call returned to the sender (after a move, with its range cleared).
struct SendTiming {
  double consumed_s = 0;
  double round_s = 0;
  std::uint32_t faults = 0;  ///< the receivers' page faults (DeliveryResult::faults), summed
};

/// Longest target name a guest may pass.
inline constexpr std::uint32_t kMaxTargetName = 255;

/// The logic behind one instance's "roadrunner" import module, on plain spans: WasmEdge's
/// adapter (rr::wasm) decodes the call and hands over the guest's whole memory.
///
/// Every guest pointer is checked against the memory's current size before use; a bad one is
/// the status kFault for the guest, never a trap. Ownership: borrows `router` and `stats`,
/// which outlive it. Thread-safety: one instance runs on one thread; so does its Imports.
class Imports {
 public:
  Imports(std::string self, const Router* router, TransferStats* stats)
      : self_(std::move(self)), router_(router), stats_(stats) {}

  /// Trace each send as a client span, child of the thread's currentTrace() (null: no spans,
  /// no cost but a branch). Before the instance runs; the tracer outlives it.
  void setTracer(Tracer* tracer) noexcept {
    tracer_ = tracer;
    streams_.setTracer(tracer);
  }
  /// Keep each successful send's SendTiming (off by default). Before the instance runs.
  void recordTimings(bool on) noexcept { record_ = on; }
  /// The timings kept so far; from the instance's thread, or once it has ended.
  [[nodiscard]] std::vector<SendTiming> takeTimings() { return std::exchange(timings_, {}); }

  /// How a send treats the sender's payload.
  enum class SendKind {
    kLend,  ///< `send`: the receiver reads the bytes; the sender keeps them
    kMove,  ///< `send_move`: the receiver takes them; the sender's range reads zeros after
    kTry,   ///< `stream_try_write`: as kLend, but nothing is sent while a receiver is busy
  };
  /// `shared`: the sender's shared buffers (its wasm::SharedPages; may be null). When the
  /// payload lies in one, receivers may map its pages instead of copying them, and a move
  /// clears the range by releasing its pages.
  [[nodiscard]] Status send(std::span<std::byte> memory, const SendArgs& args,
                            SendKind kind = SendKind::kLend, SharedBuffers* shared = nullptr);
  [[nodiscard]] Status reply(std::span<std::byte> memory, std::uint32_t buf, std::uint32_t len);
  /// Whether every send this function may make stays in this process (Router::
  /// reachesOnlyThisProcess): its shared buffers may then use files of huge pages.
  [[nodiscard]] bool sendsOnlyInProcess() const {
    return router_ != nullptr && router_->reachesOnlyThisProcess(self_);
  }
  /// `add_counter`: adds `value` to the guest's counter named by [name, name + name_len).
  /// kFault: the name is outside `memory`; otherwise GuestCounters::add's status.
  [[nodiscard]] Status addCounter(std::span<std::byte> memory, std::uint32_t name,
                                  std::uint32_t name_len, std::uint32_t value);

  /// Span events one handler run (or one command's whole run) may record (kNoMemory after).
  static constexpr std::uint32_t kMaxSpanEvents = 32;
  /// `span_event`: records the event named [name, name + name_len) in the span the instance runs
  /// in (setSpan). Statuses do not depend on tracing: kFault for a name outside `memory`,
  /// kInvalid for a name add_counter would refuse, kNoMemory past kMaxSpanEvents; kOk otherwise,
  /// recorded only while a span is set.
  [[nodiscard]] Status spanEvent(std::span<std::byte> memory, std::uint32_t name,
                                 std::uint32_t name_len);
  /// The span the instance runs in now, its events' home (null: none). From its thread.
  void setSpan(Span* span) noexcept { span_ = span; }

  /// `send_async`: starts a send of `args` (its reply fields unused) and writes its ticket to
  /// the u32 at `ticket_out`. Checks as `send` does (kFault, kInvalid, the route); kNoMemory
  /// when RR_MAX_IN_FLIGHT tickets are outstanding. The receivers read the payload in place
  /// until sendWait: `memory`'s base must stay put (WasmEdge grows a memory in place).
  [[nodiscard]] Status sendAsync(std::span<std::byte> memory, const SendArgs& args,
                                 std::uint32_t ticket_out);
  /// `send_wait`: waits for the ticket's send and returns its status; kInvalid for a ticket that
  /// is not outstanding.
  [[nodiscard]] Status sendWait(std::uint32_t ticket);
  /// Waits for every outstanding send_async: before the instance's memory goes away.
  void finishAsyncSends() noexcept;
  /// Whether a send_async is outstanding (its receivers may still read the instance's memory).
  [[nodiscard]] bool asyncSendsOutstanding() const noexcept { return !in_flight_.empty(); }
  /// Ends the thread that carries send_async over sockets (SendWorker), from the instance's
  /// thread, before that thread ends; after finishAsyncSends.
  void stopSendWorker() noexcept { worker_.stop(); }

  /// `stream_open`: writes the new stream's handle to the u32 at `handle_out`. kFault for a
  /// range outside `memory`, kInvalid for a target name's length as for a send, else
  /// OutStreams::open's status.
  [[nodiscard]] Status streamOpen(std::span<std::byte> memory, std::uint32_t target,
                                  std::uint32_t target_len, std::uint32_t handle_out);
  /// `stream_write` (kLend), `stream_write_move` (kMove) and `stream_try_write` (kTry): kFault
  /// for a chunk outside `memory`, else OutStreams::write's (or tryWrite's) status. A move hands
  /// the chunk to a single receiver's take (Delivery::take); whatever did not take it, the range
  /// reads zeros afterwards.
  [[nodiscard]] Status streamWrite(std::span<std::byte> memory, std::uint32_t handle,
                                   std::uint32_t buf, std::uint32_t len,
                                   SendKind kind = SendKind::kLend);
  /// `stream_close` (OutStreams::close).
  [[nodiscard]] Status streamClose(std::uint32_t handle, std::uint32_t abort_status) {
    return streams_.close(handle, abort_status);
  }
  /// The instance ended (a trap, proc_exit, a time-out, _start returned): its streams still open
  /// are aborted, so no receiver takes one for complete.
  void abortStreams() noexcept { streams_.abortAll(); }

  /// While the receiving side runs a handler, the sender's reply buffer (may be empty).
  /// `endReply` returns the reply's full length and whether it fit.
  /// A stream handler run (rr_on_stream) begins: its own span-event budget, and no reply.
  void beginStreamHandler() noexcept { span_events_ = 0; }
  void beginReply(std::span<std::byte> target) noexcept;
  struct ReplyOutcome {
    std::uint32_t len = 0;
    bool fit = true;
  };
  ReplyOutcome endReply() noexcept;

  [[nodiscard]] const std::string& self() const noexcept { return self_; }

 private:
  [[nodiscard]] std::unique_ptr<Span> startSendSpan(std::string_view target,
                                                    const Router::Route& route, std::uint32_t len);
  static void endSendSpan(Span& span, std::uint32_t len, const DeliveryResult& result);
  /// Keeps a successful send's SendTiming; the round ends now.
  void recordTiming(std::chrono::steady_clock::time_point start, const DeliveryResult& result);
  std::string self_;
  const Router* router_;
  TransferStats* stats_;
  OutStreams streams_{self_, router_, stats_};
  // Sends started by send_async and not yet waited for (at most RR_MAX_IN_FLIGHT). The
  // completion is on the heap: receivers hold it while the sender runs on.
  struct InFlight {
    std::uint32_t ticket = 0;
    std::unique_ptr<Completion> completion;
    EdgeMetrics* metrics = nullptr;
    std::uint32_t len = 0;
    std::chrono::steady_clock::time_point start;
  };
  std::vector<InFlight> in_flight_;
  SendWorker worker_;  // carries them to endpoints that complete inline (sockets)
  std::uint32_t next_ticket_ = 0;
  [[nodiscard]] Status finishInFlight(InFlight& sent);
  bool record_ = false;
  Tracer* tracer_ = nullptr;
  Span* span_ = nullptr;
  std::uint32_t span_events_ = 0;  // since the handler run (or the command) began
  std::vector<SendTiming> timings_;
  bool in_handler_ = false;
  bool replied_ = false;
  std::span<std::byte> reply_target_;
  ReplyOutcome reply_outcome_;
};

}  // namespace rr::host
