#include "roadrunner/transport/socket_endpoint.h"

#include <poll.h>
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "roadrunner/base/log.h"
#include "roadrunner/base/try.h"
#include "roadrunner/guest/abi.h"
#include "roadrunner/proto/frame.h"
#include "roadrunner/sys/socket.h"
#include "roadrunner/transport/auth.h"

namespace rr::transport {
namespace {

using host::Status;

std::uint64_t monotonicNs() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

Status statusFor(const Error& e) {
  if (e.code == std::errc::resource_unavailable_try_again) {
    return Status::kTimedOut;  // SO_RCVTIMEO/SO_SNDTIMEO expired
  }
  if (e.code == Errc::kProtocol) {
    return Status::kProto;
  }
  return Status::kUnavailable;
}

std::size_t sizeClass(std::size_t len) {
  std::size_t size = 1U << 16U;
  while (size < len) {
    size <<= 1U;
  }
  return size;
}

}  // namespace

SocketEndpoint::SocketEndpoint(Address address, std::string target, SocketEndpointOptions options)
    : address_(std::move(address)), target_(std::move(target)), options_(std::move(options)) {
  if (options_.own_thread) {
    worker_ = std::thread([this] {
      for (;;) {
        Job job;
        {
          std::unique_lock lock(queue_mutex_);
          queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
          if (queue_.empty()) {
            return;
          }
          job = queue_.front();
          queue_.pop_front();
        }
        job.completion->done(transfer(job.delivery));
      }
    });
  }
}

Result<UniqueFd> SocketEndpoint::connect() const {
  if (!address_.tcp()) {
    RR_ASSIGN_OR_RETURN(UniqueFd fd, sys::connectUnix(address_.path));
    RR_RETURN_IF_ERROR(sys::setTimeouts(fd.get(), options_.timeout_seconds));
    return fd;
  }
  // A new socket per attempt, with exponential backoff, until the connect budget is spent.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.connect_timeout_ms);
  auto backoff = std::chrono::milliseconds(20);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto fd = sys::connectTcp(address_.host, address_.port,
                              static_cast<int>(std::max<std::int64_t>(left.count(), 1)));
    if (fd) {
      RR_RETURN_IF_ERROR(sys::setTimeouts(fd->get(), options_.timeout_seconds));
      RR_RETURN_IF_ERROR(authenticateAsClient(fd->get(), options_.secret));
      return std::move(*fd);
    }
    if (std::chrono::steady_clock::now() + backoff >= deadline) {
      return std::unexpected(fd.error());
    }
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
  }
}

SocketEndpoint::~SocketEndpoint() {
  if (worker_.joinable()) {
    {
      const std::scoped_lock lock(queue_mutex_);
      stopping_ = true;
    }
    queue_cv_.notify_all();
    worker_.join();
  }
  for (auto& [id, m] : mailboxes_) {
    if (options_.thread_private_fds) {
      (void)m->sock.release();
    }
  }
  for (auto& [id, m] : memfds_) {
    if (options_.thread_private_fds) {
      (void)m->fd.release();  // closed with its thread's descriptor table, not ours
    }
  }
  if (options_.thread_private_fds) {
    for (auto& [id, fd] : connections_) {
      (void)fd.release();
    }
    for (auto& [id, stream] : streams_) {
      (void)stream->fd.release();
    }
    for (auto& [id, p] : pipes_) {
      (void)p.read_end.release();
      (void)p.write_end.release();
    }
  }
}

Result<int> SocketEndpoint::connection() {
  const auto id = std::this_thread::get_id();
  {
    const std::scoped_lock lock(mutex_);
    auto it = connections_.find(id);
    if (it != connections_.end()) {
      if (!sys::peerHungUp(it->second.get())) {
        return it->second.get();
      }
      connections_.erase(it);  // the receiver restarted or went away: reconnect
    }
  }
  RR_ASSIGN_OR_RETURN(UniqueFd fd, connect());
  const int raw = fd.get();
  const std::scoped_lock lock(mutex_);
  connections_[id] = std::move(fd);
  return raw;
}

void SocketEndpoint::dropConnection() {
  const std::scoped_lock lock(mutex_);
  connections_.erase(std::this_thread::get_id());
}

Result<SocketEndpoint::Memfd*> SocketEndpoint::memfdFor(std::size_t len) {
  const auto id = std::this_thread::get_id();
  const std::scoped_lock lock(mutex_);
  auto& slot = memfds_[id];
  if (slot && slot->map.size() >= len) {
    return slot.get();
  }
  // The larger memfd first; the slot changes only once it exists, so a failure (no descriptors,
  // no memory) leaves the old memfd in place for the next send that fits it.
  const std::size_t size = sizeClass(len);
  auto m = std::make_unique<Memfd>();
  RR_ASSIGN_OR_RETURN(m->fd, sys::makeSizeSealedMemfd(size));
  RR_ASSIGN_OR_RETURN(m->map,
                      sys::Mapping::map(size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd.get()));
  slot = std::move(m);  // on the sending thread: its old memfd is in this descriptor table
  return slot.get();
}

Result<SocketEndpoint::PassedMemfd> SocketEndpoint::memfdPayload(const host::Delivery& d) {
  // Only a size-sealed memfd crosses: the receiving host checks the seals before it maps. A file
  // of huge pages (a sender whose edges were all in this process) is copied instead.
  if (d.shared && d.shared->sealed) {
    // Read-only: the receiving host maps it MAP_PRIVATE and can never write the sender's pages.
    auto opened = sys::openThreadFd(d.shared->tid, d.shared->fd, d.shared->inode);
    if (opened) {
      const int fd = opened->get();
      return PassedMemfd{.shared = std::move(*opened),
                         .fd = fd,
                         .page = static_cast<std::uint32_t>(d.shared->offset / RR_PAGE_SIZE)};
    }
    RR_LOG_DEBUG("send to {}: shared payload copied: {}", target_, opened.error().message());
  }
  RR_ASSIGN_OR_RETURN(Memfd * memfd, memfdFor(d.payload.size()));
  std::memcpy(memfd->map.data(), d.payload.data(), d.payload.size());  // the sender side's copy
  return PassedMemfd{.fd = memfd->fd.get(), .copied = d.payload.size()};
}

Result<SocketEndpoint::MailboxConnection*> SocketEndpoint::mailboxConnection(
    const host::Delivery& d, Status& refused) {
  const auto id = std::this_thread::get_id();
  {
    const std::scoped_lock lock(mutex_);
    auto it = mailboxes_.find(id);
    if (it != mailboxes_.end()) {
      if (!Mailbox::peerClosed(it->second->sock.get())) {
        return it->second.get();
      }
      mailboxes_.erase(it);  // the receiver restarted or went away: set up again
    }
  }
  RR_ASSIGN_OR_RETURN(UniqueFd sock, connect());
  RR_ASSIGN_OR_RETURN(Mailbox box, Mailbox::create());
  std::array<std::byte, proto::kRequestHeaderSize> header{};
  proto::encodeRequest({.flags = proto::kFlagMemfd | proto::kFlagMailbox,
                        .source_len = static_cast<std::uint16_t>(d.source.size()),
                        .target_len = static_cast<std::uint16_t>(target_.size())},
                       header);
  std::array<iovec, 3> iov = {iovec{header.data(), header.size()},
                              iovec{const_cast<char*>(d.source.data()), d.source.size()},
                              iovec{target_.data(), target_.size()}};
  RR_RETURN_IF_ERROR(sys::sendAll(sock.get(), iov, box.fd()));
  box.closeFd();  // the mapping stays; the server holds its own descriptor
  std::array<std::byte, proto::kResponseHeaderSize> raw{};
  if (!sys::recvExact(sock.get(), raw)) {
    // Closed with no answer: a server from before mailboxes refuses the frame's flag that way.
    refused = Status::kUnavailable;
    return nullptr;
  }
  RR_ASSIGN_OR_RETURN(proto::ResponseHeader response, proto::decodeResponse(raw));
  if (response.status != RR_OK) {
    refused = static_cast<Status>(response.status);
    return nullptr;
  }
  const std::scoped_lock lock(mutex_);
  auto& slot = mailboxes_[id];
  slot = std::make_unique<MailboxConnection>(
      MailboxConnection{.sock = std::move(sock), .box = std::move(box)});
  return slot.get();
}

std::optional<host::DeliveryResult> SocketEndpoint::transferByMailbox(const host::Delivery& d,
                                                                      std::uint64_t send_ns,
                                                                      std::uint32_t reply_cap) {
  Status refused = Status::kOk;
  auto made = mailboxConnection(d, refused);
  if (!made) {
    RR_LOG_WARN("send to {} ({}): {}", target_, address_.str(), made.error().message());
    // No payload byte left: the handler cannot have run. A garbled answer is kProto.
    return host::DeliveryResult{.status = statusFor(made.error()), .not_sent = true};
  }
  if (*made == nullptr) {
    if (refused == Status::kUnknownTarget) {
      return host::DeliveryResult{.status = refused, .not_sent = true};
    }
    RR_LOG_DEBUG("send to {}: no mailbox ({}), this send uses the stream", target_,
                 host::statusName(refused));
    // Refused with an answer: never again. Closed with none: an older server, or one that went
    // away mid-set-up; only this send takes the stream, the next one asks again.
    if (refused != Status::kUnavailable) {
      mailbox_refused_ = true;
    }
    return std::nullopt;
  }
  MailboxConnection& conn = **made;
  const auto drop = [&] {
    const std::scoped_lock lock(mutex_);
    mailboxes_.erase(std::this_thread::get_id());  // the server may still read the request area
  };
  const std::span<std::byte> request = conn.box.request();
  const bool traced = d.trace.valid();
  proto::encodeRequest({.flags = traced ? proto::kFlagTrace : std::uint8_t{0},
                        .source_len = static_cast<std::uint16_t>(d.source.size()),
                        .target_len = static_cast<std::uint16_t>(target_.size()),
                        .reply_cap = reply_cap,
                        .payload_len = d.payload.size(),
                        .send_ns = send_ns},
                       request);
  std::byte* at = request.data() + proto::kRequestHeaderSize;
  at = std::ranges::copy(std::as_bytes(std::span(d.source)), at).out;
  at = std::ranges::copy(std::as_bytes(std::span(target_)), at).out;
  if (traced) {
    d.trace.write(std::span<std::byte, proto::kTraceSize>(at, proto::kTraceSize));
    at += proto::kTraceSize;
  }
  if (!d.payload.empty()) {
    std::memcpy(at, d.payload.data(), d.payload.size());  // this side's copy
  }
  conn.box.postRequest(conn.sock.get());
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(options_.timeout_seconds);
  if (auto answered = conn.box.awaitResponse(conn.sock.get(), deadline); !answered) {
    RR_LOG_WARN("send to {} ({}): {}", target_, address_.str(), answered.error().message());
    drop();
    return host::DeliveryResult{.status = statusFor(answered.error())};
  }
  std::array<std::byte, proto::kResponseHeaderSize> raw{};
  std::memcpy(raw.data(), conn.box.response().data(), raw.size());  // read once
  auto response = proto::decodeResponse(raw);
  if (!response) {
    RR_LOG_WARN("send to {}: {}", target_, response.error().message());
    drop();
    return host::DeliveryResult{.status = Status::kProto};
  }
  if (proto::replyFollows(response->reply_len, reply_cap)) {
    std::memcpy(d.reply.data(), conn.box.response().data() + proto::kResponseHeaderSize,
                response->reply_len);
  }
  if (response->status == RR_ETOO_LARGE) {
    drop();  // the server ends the connection after it
  }
  if (record_ && response->handler_ns >= send_ns) {
    const std::scoped_lock lock(mutex_);
    latencies_.push_back(static_cast<double>(response->handler_ns - send_ns) * 1e-9);
  }
  return host::DeliveryResult{.status = static_cast<Status>(response->status),
                              .reply_len = response->reply_len,
                              .copied_bytes = d.payload.size() + response->copied,
                              .handler_ns = response->handler_ns,
                              .done_ns = response->done_ns,
                              .faults = response->faults};
}

void SocketEndpoint::deliverAsync(const host::Delivery& delivery, host::Completion& completion) {
  if (!options_.own_thread) {
    completion.done(transfer(delivery));
    return;
  }
  {
    const std::scoped_lock lock(queue_mutex_);
    queue_.push_back({delivery, &completion});
  }
  queue_cv_.notify_one();
}

Result<std::shared_ptr<SocketEndpoint::StreamConnection>> SocketEndpoint::streamConnection(
    const host::Delivery& d) {
  {
    const std::scoped_lock lock(mutex_);
    if (const auto it = streams_.find(d.stream.id); it != streams_.end()) {
      return it->second;
    }
  }
  if (d.stream.seq > 0) {
    return fail(Errc::kNotFound, "stream", "its connection was lost");
  }
  RR_ASSIGN_OR_RETURN(UniqueFd fd, connect());
  // Room for a whole chunk in flight: the writer goes on while the receiving host hands the last
  // chunk to its guest and asks for the next buffer, instead of idling at a full socket (a
  // bound the kernel may lower, net.core.wmem_max; only the throughput depends on it).
  (void)sys::setSendBuffer(fd.get(), kStreamSendBuffer);
  auto stream = std::make_shared<StreamConnection>();
  stream->fd = std::move(fd);
  const std::scoped_lock lock(mutex_);
  streams_[d.stream.id] = stream;
  return stream;
}

Result<> SocketEndpoint::readStreamResponse(StreamConnection& stream) {
  std::array<std::byte, proto::kResponseHeaderSize> raw{};
  RR_RETURN_IF_ERROR(sys::recvExact(stream.fd.get(), raw));
  RR_ASSIGN_OR_RETURN(const proto::ResponseHeader response, proto::decodeResponse(raw));
  --stream.unanswered;
  stream.copied += response.copied;
  if (stream.failed == Status::kOk) {
    stream.failed = static_cast<Status>(response.status);  // at most RR_STATUS_MAX: decoded
  }
  return {};
}

bool SocketEndpoint::readyForChunk(std::uint64_t stream_id) {
  std::shared_ptr<StreamConnection> stream;
  {
    const std::scoped_lock lock(mutex_);
    const auto it = streams_.find(stream_id);
    if (it == streams_.end()) {
      return true;  // not opened yet, or its connection is gone: the write says which
    }
    stream = it->second;
  }
  while (stream->unanswered > 0) {
    pollfd p{.fd = stream->fd.get(), .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, 0) == 0) {
      return false;  // the receiving host has not taken the last chunk yet
    }
    if (!readStreamResponse(*stream)) {
      return true;  // a broken connection: the write finds out and reports it
    }
  }
  return true;
}

std::optional<SocketEndpoint::RingChunk> SocketEndpoint::ringChunk(StreamConnection& s,
                                                                   const host::Delivery& d) {
  const std::size_t len = d.payload.size();
  if (address_.tcp() || d.stream.event != host::StreamEvent::kData ||
      len < options_.stream_ring_from || len > kRingSlot) {
    return std::nullopt;
  }
  RingChunk chunk;
  if (!s.ring.valid()) {
    auto fd = sys::makeSizeSealedMemfd(kRingSlot * kRingSlots);
    auto map = fd ? sys::Mapping::map(kRingSlot * kRingSlots, PROT_READ | PROT_WRITE, MAP_SHARED,
                                      fd->get())
                  : std::unexpected(fd.error());
    if (!map) {
      RR_LOG_DEBUG("stream to {}: chunk on the socket: {}", target_, map.error().message());
      return std::nullopt;  // the socket carries it; the next chunk tries again
    }
    s.ring = std::move(*map);
    chunk.pass = std::move(*fd);  // closed once passed: the mapping keeps the pages
  }
  // This write started with every chunk but the last kStreamWindow answered, so the slot's
  // chunk before (kRingSlots ring chunks ago) is held by the receiving guest.
  chunk.offset = (s.ring_chunks++ % kRingSlots) * kRingSlot;
  std::memcpy(s.ring.data() + chunk.offset, d.payload.data(), len);  // the sender side's copy
  return chunk;
}

host::DeliveryResult SocketEndpoint::transferStream(const host::Delivery& d) {
  const bool last = d.stream.event != host::StreamEvent::kData;
  if (d.stream.event == host::StreamEvent::kAbort && d.stream.seq > 0) {
    const std::scoped_lock lock(mutex_);
    if (!streams_.contains(d.stream.id)) {
      return {};  // its connection is gone: the receiving host aborted it when it closed
    }
  }
  auto stream = streamConnection(d);
  if (!stream) {
    RR_LOG_WARN("stream to {} ({}): {}", target_, address_.str(), stream.error().message());
    return {.status = Status::kUnavailable, .not_sent = d.stream.seq == 0};
  }
  StreamConnection& s = **stream;
  const auto forget = [&] {
    if (options_.thread_private_fds) {
      (void)s.fd.release();  // closed with the opening thread's descriptor table
    }
    const std::scoped_lock lock(mutex_);
    streams_.erase(d.stream.id);
  };
  const std::uint32_t event = d.stream.event == host::StreamEvent::kData  ? proto::kStreamData
                              : d.stream.event == host::StreamEvent::kEnd ? proto::kStreamEnd
                                                                          : proto::kStreamAbort;
  // Every event carries the sender's stream span; the receiving host reads the first one's.
  const bool traced = d.trace.valid();
  std::array<std::byte, proto::kTraceSize> trace{};
  if (traced) {
    d.trace.write(trace);
  }
  const std::optional<RingChunk> ring = ringChunk(s, d);
  std::array<std::byte, proto::kRequestHeaderSize> header{};
  proto::encodeRequest(
      {.flags = static_cast<std::uint8_t>(proto::kFlagStream | (traced ? proto::kFlagTrace : 0U) |
                                          (ring ? proto::kFlagMemfd : 0U)),
       .source_len = static_cast<std::uint16_t>(d.source.size()),
       .target_len = static_cast<std::uint16_t>(target_.size()),
       .payload_len = d.payload.size(),
       .memfd_page = ring ? static_cast<std::uint32_t>(ring->offset / RR_PAGE_SIZE) : 0U,
       .send_ns = monotonicNs()},
      header);
  std::array<std::byte, proto::kStreamPartSize> part{};
  proto::encodeStreamPart({.event = event, .abort_status = d.stream.abort_status}, part);
  // The chunk straight from the sender's linear memory (no staging buffer), or in the ring.
  std::array<iovec, 6> iov = {
      iovec{header.data(), header.size()},
      iovec{const_cast<char*>(d.source.data()), d.source.size()},
      iovec{target_.data(), target_.size()},
      iovec{trace.data(), traced ? trace.size() : 0},
      iovec{part.data(), part.size()},
      iovec{const_cast<std::byte*>(d.payload.data()), ring ? 0 : d.payload.size()}};
  Result<> ok = sys::sendAll(s.fd.get(), iov, ring && ring->pass.valid() ? ring->pass.get() : -1);
  if (ok) {
    ++s.unanswered;
  }
  // A chunk leaves kStreamWindow unanswered; the end or an abort waits for every response.
  const std::uint32_t keep = last ? 0 : kStreamWindow;
  while (ok && s.unanswered > keep) {
    ok = readStreamResponse(s);
  }
  if (!ok) {
    RR_LOG_WARN("stream to {} ({}): {}", target_, address_.str(), ok.error().message());
    const Status status = statusFor(ok.error());
    forget();
    return {.status = status};
  }
  host::DeliveryResult result{.status = s.failed,
                              .copied_bytes = d.payload.size() + std::exchange(s.copied, 0)};
  if (last) {
    forget();  // closes the connection: the stream is over
  }
  return result;
}

host::DeliveryResult SocketEndpoint::transfer(const host::Delivery& d) {
  if (d.stream.event != host::StreamEvent::kNone) {
    return transferStream(d);
  }
  const std::uint64_t send_ns = monotonicNs();
  const std::uint64_t len = d.size();
  if (d.remote != nullptr || d.source.empty() || d.source.size() > proto::kMaxName) {
    return {.status = Status::kInvalid};  // forwarding remote payloads is not supported
  }
  const bool use_memfd = !address_.tcp() && len > 0 && len >= options_.memfd_threshold;
  const bool use_splice = address_.tcp() && len > 0 && len >= options_.splice_threshold;
  // Never more than the server buffers: then "the reply fit" means the same at both ends.
  const auto reply_cap =
      static_cast<std::uint32_t>(std::min<std::size_t>(d.reply.size(), proto::kMaxReply));
  if (options_.mailbox && !address_.tcp() && !use_memfd && len <= Mailbox::kMaxPayload &&
      reply_cap <= Mailbox::kMaxReply && !mailbox_refused_) {
    if (auto done = transferByMailbox(d, send_ns, reply_cap)) {
      return *done;
    }
  }
  auto fd = connection();
  if (!fd) {
    RR_LOG_WARN("send to {} ({}): {}", target_, address_.str(), fd.error().message());
    return {.status = Status::kUnavailable, .not_sent = true};
  }
  PassedMemfd memfd;
  if (use_memfd) {
    auto m = memfdPayload(d);
    if (!m) {
      RR_LOG_WARN("send to {}: {}", target_, m.error().message());
      return {.status = Status::kUnavailable};
    }
    memfd = std::move(*m);
  }
  const bool traced = d.trace.valid();
  std::array<std::byte, proto::kTraceSize> trace{};
  if (traced) {
    d.trace.write(trace);
  }
  std::array<std::byte, proto::kRequestHeaderSize> header{};
  proto::encodeRequest({.flags = static_cast<std::uint8_t>((use_memfd ? proto::kFlagMemfd : 0U) |
                                                           (traced ? proto::kFlagTrace : 0U)),
                        .source_len = static_cast<std::uint16_t>(d.source.size()),
                        .target_len = static_cast<std::uint16_t>(target_.size()),
                        .reply_cap = reply_cap,
                        .payload_len = len,
                        .memfd_page = memfd.page,
                        .send_ns = send_ns},
                       header);
  std::array<iovec, 5> iov = {iovec{header.data(), header.size()},
                              iovec{const_cast<char*>(d.source.data()), d.source.size()},
                              iovec{target_.data(), target_.size()},
                              iovec{trace.data(), traced ? trace.size() : 0},
                              // Straight from the sender's linear memory: no staging buffer.
                              iovec{const_cast<std::byte*>(d.payload.data()),
                                    use_memfd || use_splice ? 0 : d.payload.size()}};
  auto sent = sys::sendAll(*fd, iov, memfd.fd);
  // The payload bytes this side copied: into the memfd above, or into the socket's buffers
  // (writev); vmsplice lends the pages to the socket instead of copying them.
  std::uint64_t copied = use_memfd ? memfd.copied : use_splice ? 0 : len;
  if (sent && use_splice) {
    sys::SplicePipe* pipe = nullptr;
    {
      const std::scoped_lock lock(mutex_);
      auto it = pipes_.find(std::this_thread::get_id());
      if (it == pipes_.end()) {
        auto made = sys::makeSplicePipe();
        if (made) {
          it = pipes_.emplace(std::this_thread::get_id(), std::move(*made)).first;
        }
      }
      pipe = it == pipes_.end() ? nullptr : &it->second;
    }
    iovec whole{const_cast<std::byte*>(d.payload.data()), d.payload.size()};
    sent = pipe != nullptr ? sys::vmspliceSend(*fd, d.payload, *pipe)
                           : sys::sendAll(*fd, std::span(&whole, 1));
    copied = pipe != nullptr ? 0 : len;
    if (!sent) {
      const std::scoped_lock lock(mutex_);
      pipes_.erase(std::this_thread::get_id());  // may hold lent pages of a failed transfer
    }
  }
  std::array<std::byte, proto::kResponseHeaderSize> raw{};
  // Even when sending failed, the receiver may have answered before closing (too large).
  auto received = sys::recvExact(*fd, raw);
  if (!received) {
    dropConnection();
    const Error& e = sent ? received.error() : sent.error();
    RR_LOG_WARN("send to {} ({}): {}", target_, address_.str(), e.message());
    // The receiving host may have the shared memfd, and no word that it let go of it.
    return {.status = statusFor(e), .shared_held = memfd.shared.valid()};
  }
  auto response = proto::decodeResponse(raw);
  if (!response) {
    dropConnection();
    RR_LOG_WARN("send to {}: {}", target_, response.error().message());
    return {.status = Status::kProto, .shared_held = memfd.shared.valid()};
  }
  // A server refuses a frame over its payload limit with kTooLarge, then closes the connection.
  // Our write may still have succeeded (the frame fit the socket buffer, or the payload was a
  // memfd), and the close may not have reached us yet: never keep the connection for a next send.
  const bool closing = !sent || response->status == RR_ETOO_LARGE;
  if (closing) {
    dropConnection();
  }
  if (!closing && proto::replyFollows(response->reply_len, reply_cap)) {
    // Straight into the sender's reply buffer. A longer reply was not sent: the server's status
    // says kReplyTooLarge, and reply_len its full length.
    if (auto r = sys::recvExact(*fd, d.reply.first(response->reply_len)); !r) {
      dropConnection();
      return {.status = statusFor(r.error())};
    }
  }
  if (record_ && response->handler_ns >= send_ns) {
    const std::scoped_lock lock(mutex_);
    latencies_.push_back(static_cast<double>(response->handler_ns - send_ns) * 1e-9);
  }
  return {.status = static_cast<Status>(response->status),  // at most RR_STATUS_MAX: decoded
          .reply_len = response->reply_len,
          .copied_bytes = copied + response->copied,
          // The shared buffer's pages the receiver mapped: the payload less what it copied.
          .mapped_bytes = memfd.shared.valid() && response->handler_ns != 0
                              ? len - std::min<std::uint64_t>(response->copied, len)
                              : 0,
          .handler_ns = response->handler_ns,
          .done_ns = response->done_ns,
          .faults = response->faults};
}

std::uint64_t SocketEndpoint::memfdPoolBytes() {
  const std::scoped_lock lock(mutex_);
  std::uint64_t bytes = 0;
  for (const auto& [id, m] : memfds_) {
    bytes += m->map.size();
  }
  return bytes;
}

std::vector<double> SocketEndpoint::takeLatencies() {
  const std::scoped_lock lock(mutex_);
  return std::exchange(latencies_, {});
}

}  // namespace rr::transport
