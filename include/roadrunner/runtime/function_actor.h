#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "roadrunner/base/error.h"
#include "roadrunner/host/corrupt_for_test.h"
#include "roadrunner/host/endpoint.h"
#include "roadrunner/host/imports.h"
#include "roadrunner/host/router.h"
#include "roadrunner/host/trace.h"
#include "roadrunner/sys/page_move.h"
#include "roadrunner/wasm/engine.h"
#include "roadrunner/wasm/instance.h"

namespace rr::runtime {

/// How one function instance is started.
struct ActorConfig {
  std::string name;  ///< instance name, e.g. "worker#3"; the source name its sends carry
  const wasm::Engine* engine = nullptr;  ///< borrowed; outlives the actor
  wasm::Module module;
  wasm::InstanceOptions options;  ///< `imports` is set by the actor
  bool receiver = false;          ///< serves deliveries (rr_on_message) instead of running _start
  const host::Router* router = nullptr;    ///< borrowed; outlives the actor
  std::uint64_t max_payload = UINT32_MAX;  ///< larger deliveries are refused with kTooLarge
  /// Per-invocation limit for the handler (0: none). A handler that runs past it is stopped, the
  /// sender gets kTimedOut and the instance is replaced. Needs a cancellable module.
  std::uint32_t timeout_ms = 0;
  /// Where the function's stdout/stderr go (its own fds 1 and 2, on its own thread); -1: ours.
  int stdout_fd = -1;
  int stderr_fd = -1;
  /// Keep each delivery's send -> handler time (receivers) and each send's SendTiming
  /// (commands), for the benchmark.
  bool record_timings = false;
  /// Moves a move send's pages into this receiver; borrowed, shared by the run's actors, and
  /// outlives the actor. Null: move sends copy.
  const sys::PageMover* mover = nullptr;
  /// Between deliveries the actor spins for handOffSpin() before it sleeps, and so do the
  /// threads that hand it deliveries while it handles theirs (embedded senders, a serving
  /// process's connection threads). Measured at 1 KiB on an idle 2-CPU VM, where a sleeping CPU
  /// takes tens of microseconds to wake: an embedded round from ~50 us to ~2 us, a network round
  /// from 54-78 us to ~20 us (docs/benchmarks.md, "Small messages").
  bool hand_off_spin = false;
  /// Borrowed, outlives the actor; null: no spans. Each delivery is a server span
  /// ("roadrunner.handle", child of the sender's span) in which the handler's sends are made.
  host::Tracer* tracer = nullptr;
  /// A command's _start runs in this context (the workflow run's span): its sends' parent.
  host::TraceContext run_trace;
};

/// One function instance on its own thread, which owns its WasmEdge VM for life: nothing else
/// ever enters that VM. A receiver serves deliveries in arrival order; a command runs `_start`.
///
/// Embedded delivery (the sender's thread is blocked in its `send` import meanwhile):
///
///   sender memory ──memcpy (the one copy)──▶ buffer from receiver's rr_alloc ──▶ rr_on_message
///   owner: sender, unchanged until done()       owner: host, then the guest until rr_release
///
/// A move send (`send_move`) hands the sender's pages over instead (sys::PageMover):
///
///   sender memory ──UFFDIO_MOVE (no copy)──▶ buffer from receiver's rr_alloc ──▶ rr_on_message
///   owner: host; reads zeros afterwards        owner: host, then the guest until rr_release
///
/// A trap in the handler fails that delivery with kReceiverFailed and replaces the instance
/// with a fresh one (its stack pointer and heap may be inconsistent after a trap).
///
/// Thread-safety: `deliverAsync` from any thread; the rest from the owning (main) thread.
class FunctionActor final : public host::Endpoint, private host::HandleNow {
 public:
  /// Starts the thread and waits until the instance exists (or failed to start).
  [[nodiscard]] static Result<std::unique_ptr<FunctionActor>> start(ActorConfig config);
  ~FunctionActor() override;
  FunctionActor(const FunctionActor&) = delete;
  FunctionActor& operator=(const FunctionActor&) = delete;
  FunctionActor(FunctionActor&&) = delete;
  FunctionActor& operator=(FunctionActor&&) = delete;

  void deliverAsync(const host::Delivery& delivery, host::Completion& completion) override;
  [[nodiscard]] bool spinsForCompletion() const noexcept override { return config_.hand_off_spin; }
  [[nodiscard]] bool inProcess() const noexcept override { return true; }
  /// Receivers: polled between deliveries, on the actor's thread, until removed; refused once
  /// the thread has ended.
  [[nodiscard]] bool addPoller(host::Poller* poller) override;
  void removePoller(host::Poller* poller) override;
  void wakeToPoll() override;
  /// Ready while the actor waits for work: nothing queued, no delivery being handled.
  [[nodiscard]] bool readyForChunk(std::uint64_t stream_id) override;

  /// Commands: waits for `_start` and returns the exit code (or the trap).
  [[nodiscard]] Result<int> wait();
  /// Receivers: serves what is queued, then ends the thread once every poller has been removed
  /// (each must be, before the actor is destroyed). Idempotent.
  void stop();

  [[nodiscard]] const std::string& name() const noexcept { return config_.name; }
  [[nodiscard]] host::TransferStats& stats() noexcept { return stats_; }
  /// Deliveries whose handler trapped, exited or ran out of time (each replaced the instance).
  [[nodiscard]] std::uint64_t handlerTraps() const noexcept { return traps_.load(); }
  /// Of those, the ones that ran past the time limit, and the ones that called proc_exit.
  [[nodiscard]] std::uint64_t handlerTimeouts() const noexcept { return timeouts_.load(); }
  [[nodiscard]] std::uint64_t handlerExits() const noexcept { return exits_.load(); }
  /// With ActorConfig::record_timings. Receivers: the time from the sender's send call to the
  /// handler's entry, per delivery.
  [[nodiscard]] std::vector<double> takeLatencies();
  /// With ActorConfig::record_timings. Commands, once wait() has returned: each send's windows.
  [[nodiscard]] std::vector<host::SendTiming> takeSendTimings();

 private:
  struct Job {
    host::Delivery delivery;
    host::Completion* completion = nullptr;
    std::chrono::steady_clock::time_point start;
    int sender_cpu = -1;  ///< where the sending thread ran when it handed the job over
  };
  // With hand_off_spin: after this many deliveries in a row from a sender on this thread's own
  // CPU, the actor moves to another CPU (the two would otherwise take turns on one CPU while
  // another idles, and each hand-off costs a yield instead of a cache line).
  static constexpr int kColocatedBeforeMove = 32;
  void spreadFrom(const Job& job);
  // The next queued job, serving pollers (and spinning, with hand_off_spin) until one comes;
  // nothing once stopping with the queue empty.
  [[nodiscard]] std::optional<Job> nextJob();
  // Each poller's waiting request, if any; whether there was one.
  [[nodiscard]] bool servePollers();
  // Pollers asked to wake this thread from now on; false if one has a request already.
  [[nodiscard]] bool sleepPollers();
  void wakePollers();
  host::DeliveryResult handleNow(const host::Delivery& delivery) override;
  void handleStreamNow(const host::Delivery& delivery, host::Completion& held) override;
  explicit FunctionActor(ActorConfig config);
  void run(std::promise<Result<>>& started);
  [[nodiscard]] Result<> makeInstance();
  // A command's _start inside a span of its own, child of the run's.
  [[nodiscard]] Result<int> runStartTraced();
  // handle() inside a server span, with the span as the thread's trace context.
  [[nodiscard]] host::DeliveryResult handleTraced(const Job& job);
  [[nodiscard]] host::DeliveryResult handle(const Job& job);
  [[nodiscard]] host::DeliveryResult trapped(const Error& error);
  // The guest's rr_alloc (0: it could not) and rr_release.
  [[nodiscard]] Result<std::uint32_t> guestAlloc(std::uint32_t len);
  [[nodiscard]] Result<> guestRelease(std::uint32_t buf, std::uint32_t len);
  // One event of an incoming stream: completes the job itself (a chunk before its handler runs).
  void serveStream(const Job& job);
  struct InStream {
    std::uint32_t local = 0;       // the stream's number for the guest
    std::uint64_t generation = 0;  // the instance that saw it first (generation_)
    host::Status failed = host::Status::kOk;
    // With a tracer: "roadrunner.stream.handle", child of the sender's stream span, from the
    // first event to the last; every handler run for the stream runs in it.
    std::unique_ptr<host::Span> span;
    std::uint64_t bytes = 0;
    std::uint64_t chunks = 0;
  };
  [[nodiscard]] InStream newInStream(const host::Delivery& first);
  void serveChunk(const Job& job, InStream& stream);
  // Why a stream's first event here is refused (kOk: it is not).
  [[nodiscard]] host::Status refusesNewStream(const host::StreamPart& part) const;
  // rr_on_stream; a trap replaces the instance and is its status.
  [[nodiscard]] host::Status callStreamHandler(const InStream& stream, std::uint32_t event,
                                               std::uint32_t buf, std::uint32_t len,
                                               std::uint32_t status);
  // A shared payload's mapping left in its receiving buffer after the handler, for a guest
  // that exports rr_reuse_buffers: the next payload of the same range lands there again, with
  // no mapping made or undone and no rr_alloc or rr_release.
  struct HeldShared {
    std::uint32_t buf = 0;
    std::uint32_t len = 0;
    std::span<std::byte> pages;  // the mapped whole pages of [buf, buf + len)
    std::uint64_t dev = 0;       // the sender's file and offset (host::SharedView)
    std::uint64_t inode = 0;
    std::uint64_t offset = 0;
    std::uint64_t generation = 0;  // the instance that holds it (generation_)
  };
  // Whether `d` is the held range's next payload, to land in the held buffer.
  [[nodiscard]] bool landsInHeld(const host::Delivery& d, std::uint32_t len) const;
  // The held buffer takes the payload `d` again (`into` is its slice): the mapped pages as
  // they are, mapped again if the guest wrote any, the partial last page copied.
  [[nodiscard]] std::span<std::byte> landAgain(std::span<std::byte> into, const host::Delivery& d);
  // Zero pages over a held buffer and the buffer back to the guest (rr_release): before the
  // instance runs any code but the next payload of the held range.
  void dropHeld();
  // A stream chunk's buffer kept after its handler for the next chunk: a handler never keeps
  // its chunk (RR_EXPORT_ON_STREAM), so the next one may land there, with no rr_release and
  // rr_alloc in between (two guest calls a chunk).
  struct KeptChunk {
    std::uint32_t buf = 0;
    std::uint32_t len = 0;         // as asked of rr_alloc: what rr_release gets
    std::uint64_t generation = 0;  // the instance it belongs to (generation_)
  };
  // The kept chunk buffer if it holds `len` bytes, else a new one from rr_alloc (the kept one
  // released first); 0 when the guest has none.
  [[nodiscard]] Result<KeptChunk> chunkBuffer(std::uint32_t len);
  // The kept chunk buffer back to the guest (rr_release): before any guest code but the next
  // chunk's handler.
  void releaseKeptChunk();
  /// A move send's payload into `into`: whole pages move, the rest is copied; `from` reads
  /// zeros afterwards.
  [[nodiscard]] sys::TransferReport take(std::span<std::byte> into, std::span<std::byte> from);

  ActorConfig config_;
  host::TransferStats stats_;
  host::Imports imports_;
  std::unique_ptr<wasm::Instance> instance_;  // touched only by thread_
  std::uint64_t generation_ = 0;              // instances made so far; thread_ only
  bool reuses_buffers_ = false;          // the instance's rr_reuse_buffers said so; thread_ only
  std::optional<HeldShared> held_;       // thread_ only
  std::optional<KeptChunk> kept_chunk_;  // thread_ only
  // Streams arriving, by Delivery::stream.id (at most RR_MAX_STREAMS_IN); thread_ only.
  std::map<std::uint64_t, InStream> in_streams_;
  std::uint32_t next_local_ = 0;
  int colocated_ = 0;  // touched only by thread_: deliveries in a row from a sender on its CPU
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  /// queue_.size(), readable without the lock: the actor spins on it before it sleeps.
  std::atomic<std::size_t> queued_{0};
  /// Set by thread_ while it handles a job or a polled request (readyForChunk).
  std::atomic<bool> busy_{false};
  bool stopping_ = false;
  bool poll_wake_ = false;  // under mutex_: wakeToPoll() was called
  bool exited_ = false;     // under mutex_: thread_ has left its loop and polls no more
  // Polled by thread_, which holds pollers_mutex_ while it polls: removePoller() takes it too.
  // Lock order: mutex_, then pollers_mutex_.
  std::mutex pollers_mutex_;
  std::vector<host::Poller*> pollers_;
  std::atomic<std::size_t> poller_count_{0};  // pollers_.size(), read without the lock
  std::promise<Result<int>> exit_;
  std::future<Result<int>> exit_future_;
  std::atomic<std::uint64_t> traps_{0};
  std::atomic<std::uint64_t> timeouts_{0};
  std::atomic<std::uint64_t> exits_{0};
  const host::Corruption corrupt_ = host::corruptionForTest();  // kNone outside test builds
  bool delivered_once_ = false;                                 // for kStaleBuffer
  std::mutex latency_mutex_;
  std::vector<double> latencies_;
  std::thread thread_;
};

}  // namespace rr::runtime
