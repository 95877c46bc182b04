#include "roadrunner/runtime/function_actor.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "roadrunner/base/log.h"
#include "roadrunner/base/spin.h"
#include "roadrunner/base/try.h"
#include "roadrunner/guest/abi.h"
#include "roadrunner/host/guest_memory.h"
#include "roadrunner/sys/cpu.h"
#include "roadrunner/sys/mapping.h"
#include "roadrunner/sys/usage.h"

namespace rr::runtime {
namespace {

// Deliveries from this size count their page faults (DeliveryResult::faults).
constexpr std::uint32_t kCountFaultsFrom = 1U << 20U;

using host::Status;

// Gives this thread its own descriptor table with the function's stdout/stderr as fds 1 and 2,
// so WASI writes from this instance (and only this one) reach its pipes.
Result<> redirectThreadOutput(int out_fd, int err_fd) {
  if (out_fd < 0 && err_fd < 0) {
    return {};
  }
  if (::unshare(CLONE_FILES) != 0) {
    return failErrno("unshare(CLONE_FILES)");
  }
  if ((out_fd >= 0 && ::dup2(out_fd, 1) < 0) || (err_fd >= 0 && ::dup2(err_fd, 2) < 0)) {
    return failErrno("dup2");
  }
  // Our copies of the pipe ends: closing them here leaves fds 1/2 as the only writers.
  if (out_fd > 2) {
    ::close(out_fd);
  }
  if (err_fd > 2 && err_fd != out_fd) {
    ::close(err_fd);
  }
  return {};
}

// A payload in the sender's shared buffer: its whole pages are mapped over the receiver's
// page-aligned buffer `into` (MAP_PRIVATE, so the receiver's writes stay its own) and the
// partial page at its end, which shares its page with other bytes of the sender's, is copied.
// Returns the mapped range, empty if the kernel refused the mapping (the caller copies it all).
std::span<std::byte> mapShared(std::span<std::byte> into, std::span<const std::byte> payload,
                               const host::SharedView& view) {
  const std::span<std::byte> pages = into.first(into.size() & ~std::size_t{RR_PAGE_SIZE - 1});
  // A thread that shares the sender's descriptor table maps the sender's descriptor; one with a
  // table of its own (prefixed output) opens the file through the sender's.
  UniqueFd opened;
  if (!sys::namesFile(view.fd, view.dev, view.inode)) {
    auto file = sys::openThreadFd(view.tid, view.fd, view.inode);
    if (!file) {
      RR_LOG_DEBUG("shared payload copied, not mapped: {}", file.error().message());
      return {};
    }
    opened = std::move(*file);
  }
  const int fd = opened.valid() ? opened.get() : view.fd;
  if (auto mapped = sys::replaceWithFile(pages, fd, static_cast<off_t>(view.offset)); !mapped) {
    RR_LOG_DEBUG("shared payload copied, not mapped: {}", mapped.error().message());
    (void)sys::replaceWithZeroPages(pages);  // a failed MAP_FIXED may have unmapped the range
    return {};
  }
  std::memcpy(into.data() + pages.size(), payload.data() + pages.size(),
              into.size() - pages.size());
  return pages;
}

}  // namespace

FunctionActor::FunctionActor(ActorConfig config)
    : config_(std::move(config)),
      imports_(config_.name, config_.router, &stats_),
      exit_future_(exit_.get_future()) {
  imports_.recordTimings(config_.record_timings);
  imports_.setTracer(config_.tracer);
}

sys::TransferReport FunctionActor::take(std::span<std::byte> into, std::span<std::byte> from) {
  if (config_.mover != nullptr) {
    return config_.mover->transfer(into, from);
  }
  std::memcpy(into.data(), from.data(), from.size());
  std::memset(from.data(), 0, from.size());
  return {.moved = 0, .copied = from.size(), .copy_reason = ENOSYS};
}

Result<std::unique_ptr<FunctionActor>> FunctionActor::start(ActorConfig config) {
  std::unique_ptr<FunctionActor> actor(new FunctionActor(std::move(config)));
  std::promise<Result<>> started;
  auto started_future = started.get_future();
  // The thread owns the promise it fulfils: set_value may still be unwinding inside the promise
  // when get() returns here, so the promise must not live on this stack.
  actor->thread_ = std::thread([a = actor.get(), p = std::move(started)]() mutable { a->run(p); });
  Result<> result = started_future.get();
  if (!result) {
    actor->thread_.join();
    return std::unexpected(result.error());
  }
  return actor;
}

FunctionActor::~FunctionActor() {
  stop();
  if (thread_.joinable()) {
    thread_.join();
  }
}

Result<> FunctionActor::makeInstance() {
  wasm::InstanceOptions options = config_.options;
  options.imports = &imports_;
  RR_ASSIGN_OR_RETURN(wasm::Instance instance,
                      wasm::Instance::create(*config_.engine, config_.module, std::move(options)));
  if (config_.receiver) {
    if (!instance.hasMemory()) {
      return fail(Errc::kMissingExport, "start",
                  config_.name + " (" + config_.module.path +
                      "): receives messages but exports no memory named \"memory\"");
    }
    if (!instance.hasExport(RR_EXPORT_ON_MESSAGE) && !instance.hasExport(RR_EXPORT_ON_STREAM)) {
      return fail(Errc::kMissingExport, "start",
                  config_.name + " (" + config_.module.path +
                      "): receives messages but exports neither " RR_EXPORT_ON_MESSAGE
                      " nor " RR_EXPORT_ON_STREAM "; define rr_handle and ROADRUNNER_RECEIVER");
    }
    if (!instance.hasExport(RR_EXPORT_ALLOC)) {
      return fail(Errc::kMissingExport, "start",
                  config_.name + " (" + config_.module.path +
                      "): receives messages but exports no " RR_EXPORT_ALLOC
                      "; define rr_handle and ROADRUNNER_RECEIVER");
    }
    if (instance.hasExport("_initialize")) {
      RR_RETURN_IF_ERROR(instance.call("_initialize", {}, config_.timeout_ms));
    }
  }
  bool reuses = false;
  if (config_.receiver && instance.hasExport(RR_EXPORT_REUSE_BUFFERS)) {
    RR_ASSIGN_OR_RETURN(const auto said,
                        instance.call(RR_EXPORT_REUSE_BUFFERS, {}, config_.timeout_ms));
    reuses = !said.empty() && said[0] != 0;
  }
  held_.reset();  // its mapping went with the instance that held it
  kept_chunk_.reset();
  instance_ = std::make_unique<wasm::Instance>(std::move(instance));
  reuses_buffers_ = reuses;
  ++generation_;
  return {};
}

void FunctionActor::run(std::promise<Result<>>& started) {
  Result<> ready = redirectThreadOutput(config_.stdout_fd, config_.stderr_fd);
  if (ready) {
    ready = makeInstance();
  }
  const bool ok = ready.has_value();
  started.set_value(std::move(ready));
  if (!ok) {
    return;
  }
  if (!config_.receiver) {
    std::fflush(stdout);
    Result<int> exit = runStartTraced();
    imports_.finishAsyncSends();  // receivers may still read the memory they lend
    imports_.stopSendWorker();    // started on this thread: joined by it
    imports_.abortStreams();      // never taken for complete by their receivers
    exit_.set_value(std::move(exit));
    instance_.reset();
    return;
  }
  for (;;) {
    std::optional<Job> next = nextJob();
    if (!next) {
      break;  // stopping, and nothing left to serve
    }
    const Job& job = *next;
    spreadFrom(job);
    if (job.delivery.stream.event != host::StreamEvent::kNone) {
      serveStream(job);
      continue;
    }
    job.completion->done(config_.tracer != nullptr ? handleTraced(job) : handle(job));
  }
  imports_.finishAsyncSends();
  imports_.stopSendWorker();
  imports_.abortStreams();
  instance_.reset();
}

std::optional<FunctionActor::Job> FunctionActor::nextJob() {
  busy_.store(false, std::memory_order_release);
  for (;;) {
    bool served = servePollers();
    // In process, the next delivery often follows within microseconds (a sender in a loop):
    // spin a little before sleeping, which saves the wake-up on both sides.
    if (!served && config_.hand_off_spin) {
      (void)spinUntil(
          [&] { return queued_.load(std::memory_order_acquire) != 0 || (served = servePollers()); },
          handOffSpin());
    }
    if (served && queued_.load(std::memory_order_acquire) == 0) {
      continue;  // a poller's sender often posts again within microseconds
    }
    std::unique_lock lock(mutex_);
    // Stopping, the thread still answers its pollers until they are removed (a receiver that
    // could not restart answers RR_EUNAVAILABLE, as its queue would).
    const auto done = [this] {
      return stopping_ && poller_count_.load(std::memory_order_acquire) == 0;
    };
    if (queue_.empty() && !done()) {
      if (!sleepPollers()) {
        continue;  // a request came in as we were about to sleep
      }
      cv_.wait(lock, [&] { return done() || !queue_.empty() || poll_wake_; });
      poll_wake_ = false;
      wakePollers();
    }
    if (queue_.empty()) {
      if (done()) {
        exited_ = true;  // addPoller() refuses from here on
        return std::nullopt;
      }
      continue;  // woken to poll
    }
    Job job = queue_.front();
    queue_.pop_front();
    busy_.store(true, std::memory_order_relaxed);  // before queued_ can read 0
    queued_.store(queue_.size(), std::memory_order_release);
    return job;
  }
}

bool FunctionActor::servePollers() {
  if (poller_count_.load(std::memory_order_acquire) == 0) {
    return false;
  }
  const std::scoped_lock lock(pollers_mutex_);
  bool served = false;
  for (host::Poller* poller : pollers_) {
    served = poller->poll(*this) || served;
  }
  return served;
}

bool FunctionActor::sleepPollers() {
  if (poller_count_.load(std::memory_order_acquire) == 0) {
    return true;
  }
  const std::scoped_lock lock(pollers_mutex_);
  return std::ranges::all_of(pollers_, [](host::Poller* p) { return p->sleep(); });
}

void FunctionActor::wakePollers() {
  if (poller_count_.load(std::memory_order_acquire) == 0) {
    return;
  }
  const std::scoped_lock lock(pollers_mutex_);
  for (host::Poller* poller : pollers_) {
    poller->wake();
  }
}

bool FunctionActor::addPoller(host::Poller* poller) {
  const std::scoped_lock lock(mutex_);
  if (!config_.receiver || exited_) {
    return false;
  }
  {
    const std::scoped_lock polling(pollers_mutex_);
    pollers_.push_back(poller);
    poller_count_.store(pollers_.size(), std::memory_order_release);
  }
  // A sleeping actor would never see the first request: its sender rings only once the poller
  // has said it sleeps.
  poll_wake_ = true;
  cv_.notify_one();
  return true;
}

void FunctionActor::removePoller(host::Poller* poller) {
  {
    const std::scoped_lock polling(pollers_mutex_);  // held by thread_ while it polls
    std::erase(pollers_, poller);
    poller_count_.store(pollers_.size(), std::memory_order_release);
  }
  const std::scoped_lock lock(mutex_);
  cv_.notify_one();  // a stopping actor ends with its last poller
}

void FunctionActor::wakeToPoll() {
  const std::scoped_lock lock(mutex_);
  poll_wake_ = true;
  cv_.notify_one();
}

host::DeliveryResult FunctionActor::handleNow(const host::Delivery& delivery) {
  if (delivery.stream.event != host::StreamEvent::kNone) {
    return {.status = Status::kInvalid};  // streams come through handleStreamNow
  }
  const Job job{.delivery = delivery,
                .start = std::chrono::steady_clock::now(),
                .sender_cpu = config_.hand_off_spin ? delivery.sender_cpu : -1};
  spreadFrom(job);
  busy_.store(true, std::memory_order_release);
  host::DeliveryResult result = config_.tracer != nullptr ? handleTraced(job) : handle(job);
  busy_.store(false, std::memory_order_release);
  return result;
}

void FunctionActor::handleStreamNow(const host::Delivery& delivery, host::Completion& held) {
  const Job job{
      .delivery = delivery, .completion = &held, .start = std::chrono::steady_clock::now()};
  busy_.store(true, std::memory_order_release);
  serveStream(job);
  busy_.store(false, std::memory_order_release);
}

bool FunctionActor::readyForChunk(std::uint64_t /*stream_id*/) {
  return queued_.load(std::memory_order_acquire) == 0 && !busy_.load(std::memory_order_acquire);
}

void FunctionActor::spreadFrom(const Job& job) {
  if (!config_.hand_off_spin || job.sender_cpu < 0) {
    return;
  }
  colocated_ = job.sender_cpu == sys::currentCpu() ? colocated_ + 1 : 0;
  if (colocated_ >= kColocatedBeforeMove) {
    colocated_ = 0;
    (void)sys::moveOffThisCpu();  // one CPU only: the two take turns, as they must
  }
}

void FunctionActor::deliverAsync(const host::Delivery& delivery, host::Completion& completion) {
  const auto start = std::chrono::steady_clock::now();
  const int cpu = config_.hand_off_spin ? sys::currentCpu() : -1;
  {
    const std::scoped_lock lock(mutex_);
    if (!stopping_ && config_.receiver) {
      queue_.push_back(Job{delivery, &completion, start, cpu});
      queued_.store(queue_.size(), std::memory_order_release);
      cv_.notify_one();
      return;
    }
  }
  completion.done({.status = Status::kUnavailable});
}

host::DeliveryResult FunctionActor::trapped(const Error& error) {
  traps_.fetch_add(1);
  RR_LOG_WARN("{}: {}", config_.name, error.message());
  // The failed instance is never entered again: its stack pointer, heap or VM state may be
  // inconsistent, and after a time-out its VM is stopped. The streams it was writing end here,
  // and its sends still in flight finish before their memory goes.
  imports_.finishAsyncSends();
  imports_.abortStreams();
  instance_.reset();
  if (auto fresh = makeInstance(); !fresh) {
    RR_LOG_ERROR("{}: cannot restart after a failure: {}", config_.name, fresh.error().message());
    const std::scoped_lock lock(mutex_);
    stopping_ = true;
  }
  Status status = Status::kReceiverFailed;
  if (error.code == Errc::kTimedOut) {
    status = Status::kTimedOut;
    timeouts_.fetch_add(1);
  } else if (error.code == Errc::kExited) {
    status = Status::kExited;
    exits_.fetch_add(1);
  }
  return {.status = status};
}

Result<int> FunctionActor::runStartTraced() {
  if (config_.tracer == nullptr) {
    return instance_->runStart();
  }
  // The command's own span, child of the run's: its sends' parent and its events' home.
  const auto span =
      config_.tracer->start("roadrunner.start", host::SpanKind::kInternal, config_.run_trace);
  span->set("roadrunner.function", config_.name);
  const host::TraceScope in_start(span->context());
  imports_.setSpan(span.get());
  Result<int> exit = instance_->runStart();
  imports_.setSpan(nullptr);
  if (exit) {
    span->set("roadrunner.exit_code", std::int64_t{*exit});
    if (*exit != 0) {
      span->fail("exit code " + std::to_string(*exit));
    }
  } else {
    span->fail(exit.error().message());
  }
  return exit;
}

host::DeliveryResult FunctionActor::handleTraced(const Job& job) {
  const auto span =
      config_.tracer->start("roadrunner.handle", host::SpanKind::kServer, job.delivery.trace);
  span->set("roadrunner.function", config_.name);
  span->set("roadrunner.source", job.delivery.source);
  span->set("roadrunner.bytes", static_cast<std::int64_t>(job.delivery.size()));
  const host::TraceScope in_handler(span->context());  // the handler's sends are its children
  imports_.setSpan(span.get());
  const host::DeliveryResult result = handle(job);
  imports_.setSpan(nullptr);
  span->set("roadrunner.copied_bytes", static_cast<std::int64_t>(result.copied_bytes));
  span->set("roadrunner.status", host::statusName(result.status));
  if (result.status != Status::kOk) {
    span->fail(host::statusName(result.status));
  }
  return result;
}

host::DeliveryResult FunctionActor::handle(const Job& job) {
  if (!instance_) {
    return {.status = Status::kUnavailable};
  }
  const host::Delivery& d = job.delivery;
  if (d.size() > config_.max_payload || d.size() > UINT32_MAX) {
    return {.status = Status::kTooLarge};
  }
  const auto len = static_cast<std::uint32_t>(d.size());
  const auto name_len = static_cast<std::uint32_t>(d.source.size());
  // Page faults are counted from 1 MiB: two getrusage calls (about 0.4 us each) are under 1 %
  // of such a delivery, and would be a tenth of a 1 KiB one.
  const bool count_faults = len >= kCountFaultsFrom;
  const std::uint64_t faults_before = count_faults ? sys::threadMinorFaults() : 0;

  if (!instance_->hasExport(RR_EXPORT_ON_MESSAGE)) {
    return {.status = Status::kNotAllowed};  // a receiver of streams only
  }
  releaseKeptChunk();
  if (!instance_) {
    return {.status = Status::kUnavailable};  // its rr_release trapped, and no restart
  }
  // 0. A buffer held from the last delivery takes this payload, or goes before any guest code.
  const bool reuse = landsInHeld(d, len);
  if (!reuse) {
    dropHeld();
    if (!instance_) {
      return {.status = Status::kUnavailable};  // its rr_release trapped, and no restart
    }
  }
  // 1. Buffers from the receiver's own allocator: the payload's, then the source name's.
  const auto alloc = [this](std::uint32_t n) { return guestAlloc(n); };
  const auto release = [this](std::uint32_t ptr, std::uint32_t n) { return guestRelease(ptr, n); };
  std::uint32_t buf = reuse && held_ ? held_->buf : 0;
  if (len > 0 && !reuse) {
    auto r = alloc(len);
    if (!r) {
      return trapped(r.error());
    }
    buf = *r;
    if (buf == 0) {
      return {.status = Status::kNoMemory};
    }
  }
  auto name_buf = alloc(name_len);
  if (!name_buf) {
    return trapped(name_buf.error());
  }
  if (*name_buf == 0) {
    if (reuse) {
      dropHeld();  // zero pages first: a buffer goes back to the guest unmapped
    } else if (auto released = release(buf, len); !released) {
      return trapped(released.error());
    }
    return {.status = Status::kNoMemory};
  }
  // 2. Check both against the memory as it is now (rr_alloc may have grown it).
  const std::span<std::byte> memory = instance_->memory();
  const auto dst = host::guestSlice(memory, buf, len);
  const auto name_dst = host::guestSlice(memory, *name_buf, name_len);
  if (!dst || !name_dst || buf % RR_ALLOC_ALIGN != 0) {
    RR_LOG_WARN("{}: rr_alloc({}) returned {:#x}, outside memory or misaligned", config_.name, len,
                buf);
    return {.status = Status::kBadAlloc};
  }
  // 3. The one copy, straight from the sender's linear memory into the receiver's; or, for a
  //    remote sender, straight from the socket or memfd (which may map pages instead).
  std::uint64_t copied_bytes = 0;
  std::uint64_t moved_bytes = 0;
  std::uint64_t mapped_bytes = 0;
  std::span<std::byte> shared_mapped;  // receiver pages mapped from the sender's shared buffer
  bool taken = false;
  // Test builds may divert the payload on purpose (host/corrupt_for_test.h).
  std::vector<std::byte> diverted;
  std::span<std::byte> into = *dst;
  if (corrupt_ == host::Corruption::kSkipCopy ||
      (corrupt_ == host::Corruption::kStaleBuffer && delivered_once_)) {
    diverted.resize(len);
    into = diverted;
  }
  if (d.remote != nullptr) {
    const std::uint64_t rounded =
        (std::uint64_t{len} + RR_PAGE_SIZE - 1) & ~std::uint64_t{RR_PAGE_SIZE - 1};
    std::span<std::byte> pages;
    if (buf % RR_PAGE_SIZE == 0 && rounded <= UINT32_MAX && diverted.empty() &&
        !instance_->sharesPages(buf, rounded)) {
      pages = host::guestSlice(memory, buf, static_cast<std::uint32_t>(rounded)).value_or(pages);
    }
    auto filled = d.remote->fill(into, pages);
    if (!filled) {
      RR_LOG_WARN("{}: payload from {} did not arrive: {}", config_.name, d.source,
                  filled.error().message());
      (void)release(*name_buf, name_len);
      (void)release(buf, len);
      // A payload that arrived but failed its checksum broke the protocol; anything else means
      // the sender or the connection went away.
      return {.status =
                  filled.error().code == Errc::kProtocol ? Status::kProto : Status::kUnavailable};
    }
    copied_bytes = *filled;
  } else if (reuse || (len >= RR_PAGE_SIZE && d.shared && diverted.empty() &&
                       buf % RR_PAGE_SIZE == 0 && !instance_->sharesPages(buf, len))) {
    // Before a move's take: a move from a shared buffer maps too, and the sender's host then
    // clears its range by releasing those pages (SharedBuffers::clear).
    shared_mapped = reuse ? landAgain(into, d) : mapShared(into, d.payload, *d.shared);
    copied_bytes = shared_mapped.empty() ? 0 : len - shared_mapped.size();
    mapped_bytes = shared_mapped.size();
    if (shared_mapped.empty()) {
      std::memcpy(into.data(), d.payload.data(), len);
      copied_bytes = len;
    }
  } else if (len > 0 && !d.take.empty() && diverted.empty()) {
    const sys::TransferReport report = take(into, d.take);
    copied_bytes = report.copied;
    moved_bytes = report.moved;
    taken = true;
    if (report.copied >= RR_PAGE_SIZE) {
      RR_LOG_DEBUG("{}: {} of {} bytes from {} copied, not moved: {}", config_.name, report.copied,
                   len, d.source, std::strerror(report.copy_reason));
    }
  } else if (len > 0) {
    std::memcpy(into.data(), d.payload.data(), len);
    copied_bytes = len;
  }
  if (corrupt_ == host::Corruption::kFlipByte && len > 0) {
    // Incremented, not flipped: two damaged hops in a chain must not undo each other.
    auto& b = (*dst)[len / 2];
    b = static_cast<std::byte>(static_cast<unsigned char>(b) + 1U);
  }
  delivered_once_ = true;
  std::memcpy(name_dst->data(), d.source.data(), name_len);

  // 4. The handler; replies go straight into the sender's reply buffer.
  const auto to_handler = std::chrono::steady_clock::now() - job.start;
  stats_.deliveries.fetch_add(1, std::memory_order_relaxed);
  stats_.delivered_bytes.fetch_add(len, std::memory_order_relaxed);
  stats_.delivery_nanos.fetch_add(
      static_cast<std::uint64_t>(std::chrono::nanoseconds(to_handler).count()),
      std::memory_order_relaxed);
  if (config_.record_timings) {
    const std::scoped_lock lock(latency_mutex_);
    latencies_.push_back(std::chrono::duration<double>(to_handler).count());
  }
  imports_.beginReply(d.reply);
  const std::uint32_t args[] = {buf, len, *name_buf, name_len};
  const auto handler_ns =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
  auto result = instance_->call(RR_EXPORT_ON_MESSAGE, args, config_.timeout_ms);
  const auto reply = imports_.endReply();
  if (d.remote != nullptr) {
    d.remote->detach();  // before the guest frees the buffer (never free while mapped)
  }
  // A guest that reuses buffers keeps the mapping until its next delivery (dropHeld); no guest
  // code runs before then. Not while a send_async it started may still read the buffer: what
  // the sender writes there next must never reach that send's receivers.
  const bool hold = !shared_mapped.empty() && d.shared && result.has_value() && reuses_buffers_ &&
                    d.take.empty() && len > 0 && !imports_.asyncSendsOutstanding();
  if (hold && d.shared) {
    held_ = HeldShared{.buf = buf,
                       .len = len,
                       .pages = shared_mapped,
                       .dev = d.shared->dev,
                       .inode = d.shared->inode,
                       .offset = d.shared->offset,
                       .generation = generation_};
  } else if (!shared_mapped.empty()) {
    // Back to private zero pages before the guest frees the buffer, and before the sender,
    // told the delivery is done, writes its shared buffer again: no receiver sees that.
    if (auto undone = sys::replaceWithZeroPages(shared_mapped); !undone) {
      RR_LOG_ERROR("{}: shared payload stays mapped in guest memory: {}", config_.name,
                   undone.error().message());
    }
  }
  if (moved_bytes > 0 && result) {
    // A moved payload's pages go when its handler returns, as a mapped one's do (docs/abi.md),
    // so a run of moves holds one payload's memory, not the last one's and the next one's.
    if (const auto moved = host::guestSlice(instance_->memory(), buf, len)) {
      sys::discard(*moved);
    }
  }
  const auto done_ns =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
  if (!result) {
    const bool timed_out = result.error().code == Errc::kTimedOut;
    host::DeliveryResult failed = trapped(result.error());
    if (timed_out) {
      failed.status = Status::kTimedOut;
    }
    failed.copied_bytes = copied_bytes;
    failed.moved_bytes = moved_bytes;
    failed.mapped_bytes = mapped_bytes;
    failed.taken = taken;  // the sender's range was cleared by the move already
    return failed;
  }
  host::DeliveryResult out{
      .status = Status::kOk,
      .reply_len = reply.len,
      .copied_bytes = copied_bytes,
      .moved_bytes = moved_bytes,
      .mapped_bytes = mapped_bytes,
      .taken = taken,
      .handler_ns = handler_ns,
      .done_ns = done_ns,
      .faults = count_faults ? static_cast<std::uint32_t>(std::min<std::uint64_t>(
                                   sys::threadMinorFaults() - faults_before, UINT32_MAX))
                             : 0U};
  if (result->empty() || (*result)[0] != 0) {
    out.status = Status::kHandler;
  } else if (!reply.fit) {
    out.status = Status::kReplyTooLarge;
  }
  // 5. Back to the guest's allocator (a held buffer when it is dropped).
  for (const auto& [ptr, n] : {std::pair{*name_buf, name_len}, std::pair{hold ? 0U : buf, len}}) {
    if (auto released = release(ptr, n); !released) {
      (void)trapped(released.error());
      break;
    }
  }
  return out;
}

bool FunctionActor::landsInHeld(const host::Delivery& d, std::uint32_t len) const {
  return held_ && held_->generation == generation_ && corrupt_ == host::Corruption::kNone &&
         d.shared && d.remote == nullptr && d.take.empty() && len == held_->len &&
         d.shared->dev == held_->dev && d.shared->inode == held_->inode &&
         d.shared->offset == held_->offset;
}

std::span<std::byte> FunctionActor::landAgain(std::span<std::byte> into, const host::Delivery& d) {
  if (!held_ || !d.shared) {
    return {};  // never: landsInHeld() said both are there
  }
  const std::span<std::byte> pages = held_->pages;
  held_.reset();
  // The sender's pages are still mapped there and read as it wrote them, unless the guest wrote
  // one since (a private copy): then the range is mapped again, one mmap over the other.
  const auto written = sys::hasPrivatePages(pages);
  if (!written || *written) {
    return mapShared(into, d.payload, *d.shared);
  }
  std::memcpy(into.data() + pages.size(), d.payload.data() + pages.size(),
              into.size() - pages.size());
  return pages;
}

void FunctionActor::dropHeld() {
  if (!held_) {
    return;
  }
  const HeldShared held = *held_;
  held_.reset();
  if (held.generation != generation_ || !instance_) {
    return;  // its memory went with the instance that held it
  }
  if (auto undone = sys::replaceWithZeroPages(held.pages); !undone) {
    RR_LOG_ERROR("{}: shared payload stays mapped in guest memory: {}", config_.name,
                 undone.error().message());
  }
  if (auto released = guestRelease(held.buf, held.len); !released) {
    (void)trapped(released.error());
  }
}

Result<FunctionActor::KeptChunk> FunctionActor::chunkBuffer(std::uint32_t len) {
  if (kept_chunk_ && kept_chunk_->generation == generation_ && kept_chunk_->len >= len) {
    const KeptChunk kept = *kept_chunk_;
    kept_chunk_.reset();
    return kept;
  }
  releaseKeptChunk();
  if (!instance_) {
    return KeptChunk{};  // its rr_release trapped, and no restart
  }
  RR_ASSIGN_OR_RETURN(const std::uint32_t buf, guestAlloc(len));
  return KeptChunk{.buf = buf, .len = len, .generation = generation_};
}

void FunctionActor::releaseKeptChunk() {
  if (!kept_chunk_) {
    return;
  }
  const KeptChunk kept = *kept_chunk_;
  kept_chunk_.reset();
  if (kept.generation != generation_ || !instance_) {
    return;  // its memory went with the instance that held it
  }
  if (auto released = guestRelease(kept.buf, kept.len); !released) {
    (void)trapped(released.error());
  }
}

Result<std::uint32_t> FunctionActor::guestAlloc(std::uint32_t len) {
  RR_ASSIGN_OR_RETURN(auto r,
                      instance_->call(RR_EXPORT_ALLOC, std::span(&len, 1), config_.timeout_ms));
  return r.empty() ? 0U : r[0];
}

Result<> FunctionActor::guestRelease(std::uint32_t buf, std::uint32_t len) {
  if (buf == 0 || !instance_->hasExport(RR_EXPORT_RELEASE)) {
    return {};
  }
  const std::uint32_t args[] = {buf, len};
  RR_RETURN_IF_ERROR(instance_->call(RR_EXPORT_RELEASE, args, config_.timeout_ms));
  return {};
}

Status FunctionActor::callStreamHandler(const InStream& stream, std::uint32_t event,
                                        std::uint32_t buf, std::uint32_t len,
                                        std::uint32_t status) {
  const std::uint32_t args[] = {stream.local, event, buf, len, status};
  imports_.beginStreamHandler();
  std::optional<host::TraceScope> in_span;
  if (stream.span) {
    in_span.emplace(stream.span->context());  // the handler's sends and streams are children
    imports_.setSpan(stream.span.get());
  }
  auto result = instance_->call(RR_EXPORT_ON_STREAM, args, config_.timeout_ms);
  imports_.setSpan(nullptr);
  if (!result) {
    return trapped(result.error()).status;
  }
  return result->empty() || (*result)[0] != 0 ? Status::kHandler : Status::kOk;
}

Status FunctionActor::refusesNewStream(const host::StreamPart& part) const {
  if (!instance_) {
    return Status::kUnavailable;
  }
  if (!instance_->hasExport(RR_EXPORT_ON_STREAM)) {
    return Status::kNoStreams;
  }
  if (part.seq > 0) {
    return Status::kUnavailable;  // its beginning was refused, or it outlived its entry
  }
  return in_streams_.size() >= RR_MAX_STREAMS_IN ? Status::kNoMemory : Status::kOk;
}

void FunctionActor::serveStream(const Job& job) {
  dropHeld();  // before any guest code
  if (job.delivery.stream.event != host::StreamEvent::kData) {
    releaseKeptChunk();  // so goes a kept chunk buffer, but before a chunk's handler
  }
  if (!instance_) {
    job.completion->done({.status = Status::kUnavailable});  // a trap left no instance
    return;
  }
  const host::StreamPart part = job.delivery.stream;
  auto it = in_streams_.find(part.id);
  if (it == in_streams_.end()) {
    // An abort of a stream never seen here has nothing to cut short: it completes with kOk.
    const Status refused =
        part.event == host::StreamEvent::kAbort ? Status::kOk : refusesNewStream(part);
    if (refused != Status::kOk || part.event == host::StreamEvent::kAbort) {
      job.completion->done({.status = refused});
      return;
    }
    it = in_streams_.emplace(part.id, newInStream(job.delivery)).first;
  }
  InStream& stream = it->second;
  if (stream.generation != generation_ && stream.failed == Status::kOk) {
    stream.failed = Status::kReceiverFailed;  // the instance that held it was replaced
  }
  if (part.event == host::StreamEvent::kData) {
    if (stream.failed != Status::kOk) {
      job.completion->done({.status = stream.failed});  // nothing more is delivered
      return;
    }
    serveChunk(job, stream);
    return;
  }
  // The end or an abort: the stream's last event here.
  InStream last = std::move(stream);
  in_streams_.erase(it);
  Status result = last.failed;
  const std::uint32_t aborted = part.event == host::StreamEvent::kAbort ? part.abort_status : 0;
  if (last.generation == generation_ && instance_) {
    const bool end = part.event == host::StreamEvent::kEnd && last.failed == Status::kOk;
    const Status handled =
        callStreamHandler(last, end ? RR_STREAM_END : RR_STREAM_ABORT, 0, 0,
                          end ? 0U : (aborted != 0 ? aborted : static_cast<std::uint32_t>(result)));
    if (result == Status::kOk) {
      result = handled;
    }
  }
  if (last.span) {
    host::setStreamOutcome(*last.span, last.bytes, last.chunks, result, aborted);
  }
  job.completion->done({.status = part.event == host::StreamEvent::kEnd ? result : Status::kOk});
}

FunctionActor::InStream FunctionActor::newInStream(const host::Delivery& first) {
  next_local_ = next_local_ == UINT32_MAX ? 1 : next_local_ + 1;
  InStream stream{.local = next_local_, .generation = generation_};
  if (config_.tracer != nullptr) {
    stream.span =
        config_.tracer->start("roadrunner.stream.handle", host::SpanKind::kServer, first.trace);
    stream.span->set("roadrunner.function", config_.name);
    stream.span->set("roadrunner.source", first.source);
  }
  return stream;
}

void FunctionActor::serveChunk(const Job& job, InStream& stream) {
  const host::Delivery& d = job.delivery;
  const std::uint64_t id = d.stream.id;
  const auto fail_stream = [&](Status status) {
    stream.failed = status;
    job.completion->done({.status = status});
  };
  if (d.size() > config_.max_payload || d.size() > UINT32_MAX) {
    fail_stream(Status::kTooLarge);
    return;
  }
  const auto len = static_cast<std::uint32_t>(d.size());
  job.completion->copying(len);  // its sender waits for the copy, not the handler: it may spin
  KeptChunk landing;
  if (len > 0) {
    auto buffer = chunkBuffer(len);
    if (!buffer) {
      fail_stream(trapped(buffer.error()).status);
      return;
    }
    if (!instance_ || stream.generation != generation_) {
      fail_stream(Status::kReceiverFailed);  // releasing the kept buffer trapped
      return;
    }
    landing = *buffer;
    if (landing.buf == 0) {
      fail_stream(Status::kNoMemory);
      return;
    }
  }
  const std::uint32_t buf = landing.buf;
  const auto dst = host::guestSlice(instance_->memory(), buf, len);
  if (!dst || buf % RR_ALLOC_ALIGN != 0) {
    fail_stream(Status::kBadAlloc);
    return;
  }
  std::uint64_t copied_bytes = 0;
  std::uint64_t moved_bytes = 0;
  bool taken = false;
  if (d.remote != nullptr) {
    auto filled = d.remote->fill(*dst, {});
    if (!filled) {
      (void)guestRelease(buf, landing.len);
      fail_stream(filled.error().code == Errc::kProtocol ? Status::kProto : Status::kUnavailable);
      return;
    }
    copied_bytes = *filled;
  } else if (len > 0 && !d.take.empty()) {
    // A moved chunk (stream_write_move): its pages come over, and the sender's range is empty
    // before the sender hears the chunk is held.
    const sys::TransferReport report = take(*dst, d.take);
    copied_bytes = report.copied;
    moved_bytes = report.moved;
    taken = true;
  } else if (len > 0) {
    // The one copy; its waiting sender copies half of it (Completion::copyTogether).
    job.completion->copyTogether(*dst, d.payload.first(len));
    copied_bytes = len;
  }
  stats_.deliveries.fetch_add(1, std::memory_order_relaxed);
  stats_.delivered_bytes.fetch_add(len, std::memory_order_relaxed);
  // The receiver holds the chunk: the sender may fill its next one while the handler runs.
  job.completion->done({.status = Status::kOk,
                        .copied_bytes = copied_bytes,
                        .moved_bytes = moved_bytes,
                        .taken = taken});
  stream.bytes += len;
  ++stream.chunks;
  const std::uint64_t generation = generation_;
  const Status handled = callStreamHandler(stream, RR_STREAM_DATA, buf, len, 0);
  if (generation == generation_) {
    if (moved_bytes > 0) {
      sys::discard(*dst);  // the moved pages go with the handler run, as a moved message's do
    }
    if (buf != 0) {
      kept_chunk_ = landing;  // for the next chunk, or released before other guest code
    }
  }
  if (handled != Status::kOk) {
    if (auto it = in_streams_.find(id); it != in_streams_.end()) {
      it->second.failed = handled;
    }
  }
}

Result<int> FunctionActor::wait() {
  if (config_.receiver) {
    return fail(Errc::kInvalidArgument, "wait", config_.name + " is a receiver");
  }
  return exit_future_.get();
}

void FunctionActor::stop() {
  {
    const std::scoped_lock lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
}

std::vector<host::SendTiming> FunctionActor::takeSendTimings() {
  return imports_.takeTimings();  // the thread has ended, or is past its last send (wait())
}

std::vector<double> FunctionActor::takeLatencies() {
  const std::scoped_lock lock(latency_mutex_);
  return std::exchange(latencies_, {});
}

}  // namespace rr::runtime
