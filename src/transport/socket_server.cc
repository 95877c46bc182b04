#include "roadrunner/transport/socket_server.h"

#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>

#include "roadrunner/base/log.h"
#include "roadrunner/base/try.h"
#include "roadrunner/guest/abi.h"
#include "roadrunner/proto/frame.h"
#include "roadrunner/sys/mapping.h"
#include "roadrunner/sys/prefault.h"
#include "roadrunner/sys/socket.h"
#include "roadrunner/sys/tcp.h"
#include "roadrunner/transport/auth.h"
#include "roadrunner/transport/mailbox.h"

namespace rr::transport {
namespace {

// Payload bytes that follow the header on the stream: read straight into the guest's buffer.
class SocketSource final : public host::PayloadSource {
 public:
  SocketSource(int fd, std::uint64_t len, const proto::RequestHeader& h)
      : fd_(fd), len_(len), header_(h) {}
  Result<std::uint32_t> fill(std::span<std::byte> dst, std::span<std::byte> /*pages*/) override {
    consumed_ = true;
    if (auto r = sys::recvExact(fd_, dst); !r) {
      broken_ = true;
      return std::unexpected(r.error());
    }
    if ((header_.flags & proto::kFlagChecksum) != 0 && proto::crc32c(dst) != header_.checksum) {
      return fail(Errc::kProtocol, "payload", "checksum mismatch");
    }
    return static_cast<std::uint32_t>(dst.size());  // recv copied them out of the socket
  }
  // Bytes the receiver never asked for (it refused the payload) must leave the stream too.
  [[nodiscard]] Result<> drain() {
    if (consumed_ || len_ == 0) {
      return {};
    }
    std::array<std::byte, 65536> scratch{};
    for (std::uint64_t left = len_; left > 0;) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left, scratch.size()));
      RR_RETURN_IF_ERROR(sys::recvExact(fd_, std::span(scratch).first(n)));
      left -= n;
    }
    return {};
  }
  [[nodiscard]] bool broken() const noexcept { return broken_; }

 private:
  int fd_;
  std::uint64_t len_;
  proto::RequestHeader header_;
  bool consumed_ = false;
  bool broken_ = false;
};

// A payload passed as a size-sealed memfd from its page `page`: its whole pages mapped over the
// guest's buffer when that is page-aligned (zero copies) and the partial page at its end copied,
// so the guest never sees the memfd's bytes past the payload (the sender's other data, in its
// shared buffer) nor loses its own bytes past the buffer; all of it copied otherwise.
class MemfdSource final : public host::PayloadSource {
 public:
  MemfdSource(int fd, std::uint32_t page, bool map)
      : fd_(fd), offset_(std::uint64_t{page} * RR_PAGE_SIZE), map_(map) {}
  Result<std::uint32_t> fill(std::span<std::byte> dst, std::span<std::byte> pages) override {
    if (dst.empty()) {
      return 0U;
    }
    const std::size_t whole =
        map_ ? std::min(pages.size(), dst.size() & ~std::size_t{RR_PAGE_SIZE - 1}) : 0;
    if (whole > 0) {
      // MAP_PRIVATE: the guest may write its buffer without touching the sender's memfd.
      RR_RETURN_IF_ERROR(
          sys::replaceWithFile(pages.first(whole), fd_, static_cast<off_t>(offset_)));
      mapped_ = pages.first(whole);
    }
    const std::span<std::byte> rest = dst.subspan(whole);
    if (!rest.empty()) {
      if (auto read = sys::preadExact(fd_, rest, offset_ + whole); !read) {
        detach();  // the guest frees this buffer next: never while it is mapped
        return std::unexpected(read.error());
      }
    }
    prefault();
    return static_cast<std::uint32_t>(rest.size());
  }
  void detach() noexcept override {
    prefault_.reset();  // stopped and joined: nothing touches the range from here on
    if (!mapped_.empty()) {
      // Back to private anonymous pages before the guest frees the buffer: a freed region must
      // never stay backed by the memfd.
      if (auto undone = sys::replaceWithZeroPages(mapped_); !undone) {
        RR_LOG_ERROR("memfd payload stays mapped in guest memory: {}", undone.error().message());
      }
      mapped_ = {};
    }
  }
  ~MemfdSource() override { detach(); }
  MemfdSource(const MemfdSource&) = delete;
  MemfdSource& operator=(const MemfdSource&) = delete;
  MemfdSource(MemfdSource&&) = delete;
  MemfdSource& operator=(MemfdSource&&) = delete;

 private:
  int fd_;
  std::uint64_t offset_;
  // A large mapped payload's page tables are populated on another CPU while the handler reads
  // it (sys::Prefault): at 256 MiB the handler's read of every byte took 40 ms with its own
  // faults and 20 ms with them populated alongside (docs/benchmarks.md, "Kernel mode").
  static constexpr std::size_t kPrefaultFrom = std::size_t{8} << 20;
  void prefault() noexcept {
    if (mapped_.size() < kPrefaultFrom) {
      return;
    }
    auto started = sys::Prefault::start(mapped_);
    if (!started) {
      RR_LOG_DEBUG("payload read without prefaulting: {}", started.error().message());
      return;
    }
    prefault_ = std::move(*started);
  }

  bool map_;
  std::span<std::byte> mapped_;
  std::unique_ptr<sys::Prefault> prefault_;
};

// A stream chunk in the sender's ring (SocketEndpoint::ringChunk): copied out of the mapping.
class RingSource final : public host::PayloadSource {
 public:
  explicit RingSource(std::span<const std::byte> chunk) : chunk_(chunk) {}
  Result<std::uint32_t> fill(std::span<std::byte> dst, std::span<std::byte> /*pages*/) override {
    std::memcpy(dst.data(), chunk_.data(), dst.size());  // dst is exactly the chunk's size
    return static_cast<std::uint32_t>(dst.size());
  }

 private:
  std::span<const std::byte> chunk_;
};

// A ring is at most this large (a sender's is three slots of 1 MiB).
constexpr std::uint64_t kMaxRing = std::uint64_t{64} << 20U;

// The ring a stream's frame passed: a memfd whose size is sealed, so it can never be cut short
// under the mapping (a read past its end would be SIGBUS), mapped read-only.
Result<sys::Mapping> mapRing(int fd) {
  RR_RETURN_IF_ERROR(sys::checkSizeSealed(fd, 1));
  struct stat st{};
  if (::fstat(fd, &st) != 0) {
    return failErrno("fstat(ring)");
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > kMaxRing) {
    return fail(Errc::kProtocol, "stream", "ring of " + std::to_string(size) + " bytes");
  }
  return sys::Mapping::map(size, PROT_READ, MAP_SHARED, fd);
}

// Hands each request to the receiver's thread and waits for its handler: for a receiver that
// does not poll mailboxes itself (Endpoint::addPoller).
class DeliverTo final : public host::HandleNow {
 public:
  explicit DeliverTo(host::Endpoint& to) : to_(to) {}
  host::DeliveryResult handleNow(const host::Delivery& delivery) override {
    return to_.deliver(delivery);
  }

 private:
  host::Endpoint& to_;
};

Result<> sendResponse(int fd, const proto::ResponseHeader& h, std::span<const std::byte> reply) {
  std::array<std::byte, proto::kResponseHeaderSize> raw{};
  proto::encodeResponse(h, raw);
  std::array<iovec, 2> iov = {iovec{raw.data(), raw.size()},
                              iovec{const_cast<std::byte*>(reply.data()), reply.size()}};
  return sys::sendAll(fd, iov);
}

// The source and target names and the trace context that follow a checked header.
Result<> readNamesAndTrace(int fd, const proto::RequestHeader& header, std::string& names,
                           host::TraceContext& trace) {
  names.assign(std::size_t{header.source_len} + header.target_len, '\0');
  if (auto r = sys::recvExact(fd, std::as_writable_bytes(std::span(names))); !r) {
    return fail(Errc::kProtocol, "frame", "truncated names: " + r.error().message());
  }
  if ((header.flags & proto::kFlagTrace) != 0) {
    std::array<std::byte, proto::kTraceSize> raw_trace{};
    if (auto r = sys::recvExact(fd, raw_trace); !r) {
      return fail(Errc::kProtocol, "frame", "truncated trace context: " + r.error().message());
    }
    trace = host::TraceContext::read(raw_trace);
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<SocketServer>> SocketServer::start(Address address, host::Endpoint* receiver,
                                                          SocketServerOptions options) {
  if (address.tcp()) {
    if (options.secret.empty()) {
      return fail(Errc::kInvalidArgument, "listen",
                  address.str() + ": network mode needs a shared secret");
    }
    std::unique_ptr<SocketServer> server(
        new SocketServer(std::move(address), receiver, std::move(options)));
    RR_ASSIGN_OR_RETURN(server->listen_fd_,
                        sys::listenTcp(server->address_.host, server->address_.port));
    RR_ASSIGN_OR_RETURN(server->address_.port, sys::localPort(server->listen_fd_.get()));
    server->accept_thread_ = std::thread([s = server.get()] { s->acceptLoop(); });
    return server;
  }
  const std::string path = address.path;
  const auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty() && !std::filesystem::exists(dir)) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec || ::chmod(dir.c_str(), 0700) != 0) {
      return failErrno("create socket directory", ec ? ec.value() : errno, dir.string());
    }
  }
  std::unique_ptr<SocketServer> server(
      new SocketServer(std::move(address), receiver, std::move(options)));
  RR_ASSIGN_OR_RETURN(server->listen_fd_, sys::listenUnix(path));
  if (struct stat st{}; ::stat(path.c_str(), &st) == 0) {
    server->socket_file_ = {st.st_dev, st.st_ino};
  }
  server->accept_thread_ = std::thread([s = server.get()] { s->acceptLoop(); });
  return server;
}

SocketServer::~SocketServer() { stop(); }

void SocketServer::stop() {
  if (stopping_.exchange(true)) {
    return;
  }
  ::shutdown(listen_fd_.get(), SHUT_RDWR);  // wakes accept()
  if (accept_thread_.joinable()) {
    accept_thread_.join();  // no connection starts after this
  }
  {
    const std::scoped_lock lock(mutex_);
    for (const int fd : open_fds_) {
      ::shutdown(fd, SHUT_RDWR);  // wakes its thread
    }
  }
  connections_.joinAll();
  if (struct stat st{}; !address_.tcp() && ::stat(address_.path.c_str(), &st) == 0 &&
                        std::pair{st.st_dev, st.st_ino} == socket_file_) {
    ::unlink(address_.path.c_str());
  }
}

namespace {

constexpr std::chrono::milliseconds kAcceptRetry{100};

bool acceptFailureIsTransient(const Error& error) {
  const std::error_code& code = error.code;
  return code == std::errc::too_many_files_open ||
         code == std::errc::too_many_files_open_in_system || code == std::errc::no_buffer_space ||
         code == std::errc::not_enough_memory || code == std::errc::connection_aborted ||
         code == std::errc::interrupted || code == std::errc::protocol_error;
}

}  // namespace

void SocketServer::acceptLoop() {
  while (!stopping_) {
    auto conn = sys::acceptConnection(listen_fd_.get());
    if (!conn) {
      if (stopping_) {
        return;
      }
      if (!acceptFailureIsTransient(conn.error())) {
        RR_LOG_ERROR("{}: {}; no longer accepting", address_.str(), conn.error().message());
        return;
      }
      // Out of descriptors or memory, or a peer that left before accept: the server keeps
      // serving the connections it has and accepts again once some close.
      RR_LOG_WARN("{}: {}; accepting again in {} ms", address_.str(), conn.error().message(),
                  kAcceptRetry.count());
      std::this_thread::sleep_for(kAcceptRetry);
      continue;
    }
    const std::scoped_lock lock(mutex_);
    if (stopping_) {
      return;
    }
    const int fd = conn->get();
    // A shared_ptr, so the descriptor is closed here when no thread takes it.
    auto owned = std::make_shared<UniqueFd>(std::move(*conn));
    auto started = connections_.tryStart([this, owned] { serve(std::move(*owned)); });
    if (!started || !*started) {
      dropped_.fetch_add(1);
      RR_LOG_WARN("{}: refusing a connection: {}", address_.str(),
                  started ? std::to_string(connections_.limit()) + " connections are open"
                          : started.error().message());
      continue;
    }
    open_fds_.push_back(fd);
  }
}

void SocketServer::drop(const std::string& why) {
  dropped_.fetch_add(1);
  RR_LOG_WARN("{}: dropping connection: {}", address_.str(), why);
}

bool SocketServer::forUs(std::string_view target) const noexcept {
  return options_.name.empty() || target == options_.name;
}

proto::ResponseHeader SocketServer::responseFor(const host::DeliveryResult& result) {
  return {.status = static_cast<std::uint32_t>(result.status),
          .reply_len = result.reply_len,
          // One copy at most, of a payload under 4 GiB.
          .copied =
              static_cast<std::uint32_t>(std::min<std::uint64_t>(result.copied_bytes, UINT32_MAX)),
          .handler_ns = result.handler_ns,
          .done_ns = result.done_ns,
          .faults = result.faults};
}

// Polled on the receiver's thread, which takes and answers each request with no other thread in
// between; the connection's thread only watches the socket (watchMailbox).
class SocketServer::MailboxPoller final : public host::Poller {
 public:
  MailboxPoller(SocketServer& server, Mailbox& box, int fd) : server_(server), box_(box), fd_(fd) {}
  bool poll(host::HandleNow& receiver) override {
    if (ended_.load(std::memory_order_relaxed) || !box_.posted()) {
      return false;
    }
    box_.take();
    activity_.fetch_add(1, std::memory_order_relaxed);  // odd while a request is answered
    if (!server_.answerMailboxFrame(fd_, box_, receiver)) {
      ended_.store(true, std::memory_order_relaxed);
      ::shutdown(fd_, SHUT_RDWR);  // wakes the connection's thread, which ends the connection
    }
    activity_.fetch_add(1, std::memory_order_release);
    return true;
  }
  bool sleep() noexcept override {
    return ended_.load(std::memory_order_relaxed) || box_.sleepUnlessPosted();
  }
  void wake() noexcept override { box_.pollAgain(); }
  // Requests taken and answered, twice each: odd while one is being answered.
  [[nodiscard]] std::uint64_t activity() const noexcept {
    return activity_.load(std::memory_order_acquire);
  }
  [[nodiscard]] bool ended() const noexcept { return ended_.load(std::memory_order_relaxed); }

 private:
  SocketServer& server_;
  Mailbox& box_;
  int fd_;
  std::atomic<bool> ended_{false};
  std::atomic<std::uint64_t> activity_{0};
};

void SocketServer::watchMailbox(int fd, const MailboxPoller& poller) {
  const int idle_ms = static_cast<int>(
      std::min<std::int64_t>(std::int64_t{options_.timeout_seconds} * 1000, INT_MAX));
  std::uint64_t seen = poller.activity();
  while (!stopping_ && !poller.ended()) {
    pollfd p{.fd = fd, .events = POLLIN | POLLRDHUP, .revents = 0};
    const int n = ::poll(&p, 1, idle_ms);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      drop(failErrno("poll(mailbox socket)").error().message());
      return;
    }
    if (n == 0) {
      const std::uint64_t now = poller.activity();
      if (now == seen && now % 2 == 0) {
        drop("mailbox: no frame within the time-out");
        return;
      }
      seen = now;
      continue;
    }
    if ((p.revents & (POLLERR | POLLHUP | POLLRDHUP | POLLNVAL)) != 0 || Mailbox::peerClosed(fd)) {
      return;  // the sender closed or died, or the receiver ended the connection
    }
    receiver_->wakeToPoll();  // a bell: the receiver went to sleep before this request
  }
}

void SocketServer::serveMailbox(int fd, int memfd, std::string_view target) {
  if (!forUs(target)) {
    (void)sendResponse(fd, {.status = RR_EUNKNOWN_TARGET}, {});
    return;  // the sender connects again for its next send
  }
  auto box = Mailbox::attach(memfd);
  if (!box) {
    (void)sendResponse(fd, {.status = RR_EPROTO}, {});
    drop("mailbox refused: " + box.error().message());
    return;
  }
  if (!sendResponse(fd, {.status = RR_OK}, {})) {
    return;
  }
  if (MailboxPoller poller(*this, *box, fd); receiver_->addPoller(&poller)) {
    watchMailbox(fd, poller);
    receiver_->removePoller(&poller);
    return;
  }
  DeliverTo receiver(*receiver_);
  for (;;) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(options_.timeout_seconds);
    if (auto next = box->awaitRequest(fd, deadline, stopping_); !next) {
      if (next.error().code != std::errc::connection_reset &&
          next.error().code != std::errc::operation_canceled) {
        drop(next.error().message());
      }
      return;
    }
    if (!answerMailboxFrame(fd, *box, receiver)) {
      return;
    }
  }
}

bool SocketServer::answerMailboxFrame(int fd, Mailbox& box, host::HandleNow& receiver) {
  const std::span<std::byte> request = box.request();
  // Each field read once, from our copy: the sender may rewrite the area while we look.
  std::array<std::byte, proto::kRequestHeaderSize> raw{};
  std::memcpy(raw.data(), request.data(), raw.size());
  auto header = proto::decodeRequest(raw, Mailbox::kMaxPayload);
  if (!header || (header->flags & ~proto::kFlagTrace) != 0) {
    drop(header ? "mailbox frame with flags" : header.error().message());
    return false;
  }
  // Header, names (2 x kMaxName at most), trace and payload fit the request area.
  const std::size_t names_len = std::size_t{header->source_len} + header->target_len;
  std::string names(names_len, '\0');
  std::memcpy(names.data(), request.data() + proto::kRequestHeaderSize, names_len);
  const bool traced = (header->flags & proto::kFlagTrace) != 0;
  const host::TraceContext trace =
      traced ? host::TraceContext::read(std::span<const std::byte, proto::kTraceSize>(
                   request.data() + proto::kRequestHeaderSize + names_len, proto::kTraceSize))
             : host::TraceContext{};
  const std::span<std::byte> payload =
      request.subspan(proto::kRequestHeaderSize + names_len + (traced ? proto::kTraceSize : 0),
                      header->payload_len);
  const std::span<std::byte> reply = box.response().subspan(
      proto::kResponseHeaderSize, std::min<std::size_t>(header->reply_cap, Mailbox::kMaxReply));
  proto::ResponseHeader response{.status = RR_EUNKNOWN_TARGET};
  if (header->payload_len > options_.max_payload) {
    response = {.status = RR_ETOO_LARGE};
  } else if (forUs(std::string_view(names).substr(header->source_len))) {
    // The actor copies the payload once, straight from the request area into the guest, and
    // writes the reply straight into the response area.
    response = responseFor(
        receiver.handleNow({.source = std::string_view(names).substr(0, header->source_len),
                            .payload = payload,
                            .reply = reply,
                            .trace = trace,
                            .sender_cpu = box.senderCpu()}));
  }
  proto::encodeResponse(response, box.response());
  box.postResponse(fd);
  if (response.status == RR_ETOO_LARGE) {
    drop("payload of " + std::to_string(header->payload_len) + " bytes over the limit");
    return false;
  }
  return true;
}

void SocketServer::serve(UniqueFd conn) {
  const int fd = conn.get();
  const auto finish = [&] {
    const std::scoped_lock lock(mutex_);
    std::erase(open_fds_, fd);
  };
  // Without its timeouts, a silent peer would hold this thread, one of a bounded few, forever.
  if (auto timed = sys::setTimeouts(fd, options_.timeout_seconds); !timed) {
    drop(timed.error().message());
    finish();
    return;
  }
  if (address_.tcp()) {
    // No payload from anyone who cannot prove the shared secret.
    (void)sys::setNoDelay(fd);  // latency only: the connection works without it
    if (auto ok = authenticateAsServer(fd, options_.secret); !ok) {
      drop("unauthenticated peer: " + ok.error().message());
      finish();
      return;
    }
  } else {
    auto cred = sys::peerCredentials(fd);
    const uid_t self = ::getuid();
    if (!cred ||
        (cred->uid != self && cred->uid != 0 &&
         std::ranges::find(options_.allowed_uids, cred->uid) == options_.allowed_uids.end())) {
      drop(cred ? "peer uid " + std::to_string(cred->uid) + " is not allowed"
                : cred.error().message());
      finish();
      return;
    }
  }
  std::vector<std::byte> reply_buffer;
  ConnectionStream open_stream;
  for (;;) {
    std::array<std::byte, proto::kRequestHeaderSize> raw{};
    UniqueFd passed;
    if (auto r = sys::recvExact(fd, raw, &passed); !r) {
      break;  // the sender closed (or died between frames): nothing in flight
    }
    auto header = proto::decodeRequest(raw, UINT64_MAX);
    if (!header) {
      drop(header.error().message());
      break;
    }
    if (header->payload_len > options_.max_payload) {
      (void)sendResponse(fd, {.status = RR_ETOO_LARGE}, {});
      drop("payload of " + std::to_string(header->payload_len) + " bytes over the limit");
      break;
    }
    const bool memfd = (header->flags & proto::kFlagMemfd) != 0;
    if ((header->flags & proto::kFlagStream) == 0 && memfd != passed.valid()) {
      drop(memfd ? "memfd frame without a descriptor" : "descriptor on a stream frame");
      break;
    }
    std::string names;
    host::TraceContext trace;
    if (auto r = readNamesAndTrace(fd, *header, names, trace); !r) {
      drop(r.error().message());
      break;
    }
    if ((header->flags & proto::kFlagMailbox) != 0) {
      serveMailbox(fd, passed.get(), std::string_view(names).substr(header->source_len));
      break;
    }
    if ((header->flags & proto::kFlagStream) != 0) {
      if (!serveStreamFrame(fd, *header, names, trace, open_stream, nullptr, passed.get()) ||
          (open_stream.id != 0 && !pollStream(fd, open_stream))) {
        break;
      }
      continue;
    }
    if (memfd) {
      const std::uint64_t end = std::uint64_t{header->memfd_page} * RR_PAGE_SIZE +
                                header->payload_len;  // < 2^45 + max_payload: no overflow
      if (auto ok = sys::checkSizeSealed(passed.get(), end); !ok) {
        drop(ok.error().message());
        break;
      }
    }
    // One reply buffer per connection, grown when a sender asks for more (up to kMaxReply, so
    // memory stays bounded): not allocated and zero-filled again for every frame.
    const std::uint32_t reply_cap = std::min(header->reply_cap, proto::kMaxReply);
    if (reply_buffer.size() < reply_cap) {
      reply_buffer.resize(reply_cap);
    }
    const std::span<std::byte> reply = std::span(reply_buffer).first(reply_cap);
    SocketSource stream(fd, header->payload_len, *header);
    MemfdSource mapped(passed.get(), header->memfd_page, options_.memfd_map);
    const std::string_view target = std::string_view(names).substr(header->source_len);
    if (!forUs(target)) {
      if (!memfd && !stream.drain()) {
        drop("sender went away mid-payload");
        break;
      }
      if (!sendResponse(fd, {.status = RR_EUNKNOWN_TARGET}, {})) {
        break;
      }
      continue;
    }
    const host::Delivery delivery{
        .source = std::string_view(names).substr(0, header->source_len),
        .reply = reply,
        .remote = memfd ? static_cast<host::PayloadSource*>(&mapped) : &stream,
        .remote_len = header->payload_len,
        .trace = trace};
    const host::DeliveryResult result = receiver_->deliver(delivery);
    if (!memfd && (stream.broken() || !stream.drain())) {
      drop("sender went away mid-payload");  // the handler never saw a partial payload
      break;
    }
    // The sender reads reply bytes by the same rule: the header never promises bytes that do
    // not follow. A reply over the buffer got kReplyTooLarge from the actor, with its length.
    const bool follows = proto::replyFollows(result.reply_len, header->reply_cap);
    const auto sent =
        sendResponse(fd, responseFor(result),
                     follows ? std::span<const std::byte>(reply.first(result.reply_len))
                             : std::span<const std::byte>{});
    if (!sent) {
      drop(sent.error().message());
      break;
    }
  }
  abortStream(open_stream);
  finish();
}

void SocketServer::abortStream(ConnectionStream& stream) {
  if (stream.id == 0) {
    return;
  }
  const host::Delivery abort{.source = stream.source,
                             .stream = {.event = host::StreamEvent::kAbort,
                                        .id = stream.id,
                                        .seq = stream.seq,
                                        .abort_status = RR_EUNAVAILABLE}};
  (void)receiver_->deliver(abort);
  stream = {};
}

bool SocketServer::serveStreamFrame(int fd, const proto::RequestHeader& header,
                                    std::string_view names, const host::TraceContext& trace,
                                    ConnectionStream& stream, host::HandleNow* now, int passed) {
  std::array<std::byte, proto::kStreamPartSize> raw{};
  if (auto r = sys::recvExact(fd, raw); !r) {
    drop("truncated stream part: " + r.error().message());
    return false;
  }
  auto part = proto::decodeStreamPart(raw, header.payload_len);
  if (!part) {
    drop(part.error().message());
    return false;
  }
  const std::string_view source = names.substr(0, header.source_len);
  const bool in_ring = (header.flags & proto::kFlagMemfd) != 0;
  sys::Mapping passed_ring;
  if (passed >= 0) {
    auto mapped = in_ring && !stream.ring.valid()
                      ? mapRing(passed)
                      : fail(Errc::kProtocol, "stream", "a descriptor on a frame that needs none");
    if (!mapped) {
      drop(mapped.error().message());
      return false;
    }
    passed_ring = std::move(*mapped);
  }
  const sys::Mapping& ring = passed_ring.valid() ? passed_ring : stream.ring;
  const std::uint64_t offset = std::uint64_t{header.memfd_page} * RR_PAGE_SIZE;
  // Compared without a sum that could wrap: a server's payload limit may be 2^64 - 1.
  if (in_ring && (part->event != proto::kStreamData || header.payload_len > ring.size() ||
                  offset > ring.size() - header.payload_len)) {
    drop("stream chunk outside its ring");  // or a ring chunk before the ring
    return false;
  }
  SocketSource chunk(fd, in_ring ? 0 : header.payload_len, header);
  RingSource from_ring(in_ring ? ring.bytes().subspan(offset, header.payload_len)
                               : std::span<const std::byte>{});
  if (!forUs(names.substr(header.source_len))) {
    return chunk.drain() && sendResponse(fd, {.status = RR_EUNKNOWN_TARGET}, {});
  }
  if (stream.id == 0) {
    stream = {.id = host::nextStreamId(), .seq = 0, .source = std::string(source)};
  } else if (source != stream.source) {
    drop("stream frame from another source than the stream's");
    return false;
  }
  if (passed_ring.valid()) {
    stream.ring = std::move(passed_ring);  // the same pages: from_ring still points into them
  }
  const host::StreamEvent event = part->event == proto::kStreamData  ? host::StreamEvent::kData
                                  : part->event == proto::kStreamEnd ? host::StreamEvent::kEnd
                                                                     : host::StreamEvent::kAbort;
  const host::Delivery delivery{.source = stream.source,
                                .remote = event != host::StreamEvent::kData ? nullptr
                                          : in_ring ? static_cast<host::PayloadSource*>(&from_ring)
                                                    : &chunk,
                                .remote_len = header.payload_len,
                                .trace = trace,
                                .stream = {.event = event,
                                           .id = stream.id,
                                           .seq = stream.seq++,
                                           .abort_status = part->abort_status}};
  // The sender hears as soon as the receiver holds the chunk, from the thread that read it, while
  // the handler may still run: its next chunk is on the way meanwhile.
  std::string lost = "sender went away mid-chunk";  // the handler never saw a partial chunk
  host::Completion held(1, [&](const host::DeliveryResult& result) {
    if (!chunk.broken() && chunk.drain()) {
      auto sent = sendResponse(fd, responseFor(result), {});
      lost = sent ? "" : sent.error().message();
    }
  });
  if (now != nullptr) {
    now->handleStreamNow(delivery, held);
  } else {
    receiver_->deliverAsync(delivery, held);
  }
  (void)held.wait();  // no spinning: the receiver's read takes as long as the copy
  if (event != host::StreamEvent::kData) {
    stream = {};  // over: the connection may carry another
  }
  if (!lost.empty()) {
    drop(lost);
    return false;
  }
  return true;
}

// A stream's connection while the receiver's own thread reads its frames (Endpoint::addPoller):
// in a stream at full speed the next chunk is already in the socket when the handler returns,
// and no other thread wakes between chunks. The connection's thread only watches the socket
// while the receiver sleeps (watchStream).
class SocketServer::StreamPoller final : public host::Poller {
 public:
  enum class State : std::uint8_t { kBusy, kSleeping, kOver, kBroken };
  StreamPoller(SocketServer& server, int fd, ConnectionStream& stream)
      : server_(server), fd_(fd), stream_(stream) {}
  bool poll(host::HandleNow& receiver) override {
    if (ended() || !frameWaiting()) {
      return false;
    }
    wake();  // the connection's thread leaves the socket to this one
    const bool ok = server_.serveNextStreamFrame(fd_, stream_, receiver);
    if (!ok || stream_.id == 0) {
      end(ok ? State::kOver : State::kBroken);
    }
    return true;
  }
  bool sleep() noexcept override {
    if (ended()) {
      return true;
    }
    if (frameWaiting()) {
      return false;
    }
    set(State::kSleeping);
    return true;
  }
  void wake() noexcept override {
    const std::scoped_lock lock(mutex_);
    if (state_ == State::kSleeping) {
      state_ = State::kBusy;
    }
  }
  // Waits up to `idle` for the receiver to sleep or the stream to end; the state then.
  State awaitIdle(std::chrono::milliseconds idle) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, idle, [&] { return state_ != State::kBusy; });
    return state_;
  }
  // The socket has something for a sleeping receiver: true if it is to be woken (once).
  bool ring() {
    const std::scoped_lock lock(mutex_);
    if (state_ != State::kSleeping) {
      return false;
    }
    state_ = State::kBusy;
    return true;
  }
  void end(State how) noexcept { set(how); }
  [[nodiscard]] State state() const noexcept {
    const std::scoped_lock lock(mutex_);
    return state_;
  }
  [[nodiscard]] bool ended() const noexcept {
    const State now = state();
    return now == State::kOver || now == State::kBroken;
  }

 private:
  // A frame's first byte, or the sender's close, which the next read reports.
  [[nodiscard]] bool frameWaiting() const noexcept {
    std::byte first{};
    const ssize_t n = ::recv(fd_, &first, 1, MSG_PEEK | MSG_DONTWAIT);
    return n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
  }
  void set(State state) noexcept {
    {
      const std::scoped_lock lock(mutex_);
      if (state_ == State::kOver || state_ == State::kBroken) {
        return;
      }
      state_ = state;
    }
    cv_.notify_all();
  }

  SocketServer& server_;
  int fd_;
  ConnectionStream& stream_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  State state_ = State::kBusy;
};

bool SocketServer::pollStream(int fd, ConnectionStream& stream) {
  StreamPoller poller(*this, fd, stream);
  if (!receiver_->addPoller(&poller)) {
    return true;  // the connection's thread goes on reading the stream's frames
  }
  watchStream(fd, poller);
  receiver_->removePoller(&poller);  // waits for a poll in progress
  return poller.state() == StreamPoller::State::kOver;
}

void SocketServer::watchStream(int fd, StreamPoller& poller) {
  const auto idle = std::chrono::milliseconds(
      std::min<std::int64_t>(std::int64_t{options_.timeout_seconds} * 1000, INT_MAX));
  for (;;) {
    const StreamPoller::State state = poller.awaitIdle(idle);
    if (state == StreamPoller::State::kOver || state == StreamPoller::State::kBroken) {
      return;
    }
    if (state == StreamPoller::State::kBusy) {
      continue;  // a handler still runs: it has its own time limit
    }
    pollfd p{.fd = fd, .events = POLLIN | POLLRDHUP, .revents = 0};
    const int n = ::poll(&p, 1, static_cast<int>(idle.count()));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 || (n == 0 && poller.ring())) {
      drop(n < 0 ? failErrno("poll(stream socket)").error().message()
                 : "stream: no frame within the time-out");
      poller.end(StreamPoller::State::kBroken);
      ::shutdown(fd, SHUT_RDWR);  // a poll the receiver starts now finds the socket closed
      return;
    }
    if (n > 0 && poller.ring()) {
      receiver_->wakeToPoll();  // the frame, or the sender's close, for a sleeping receiver
    }
  }
}

bool SocketServer::serveNextStreamFrame(int fd, ConnectionStream& stream,
                                        host::HandleNow& receiver) {
  std::array<std::byte, proto::kRequestHeaderSize> raw{};
  UniqueFd passed;
  if (auto r = sys::recvExact(fd, raw, &passed); !r) {
    return false;  // the sender closed or died between frames: the stream is aborted
  }
  auto header = proto::decodeRequest(raw, UINT64_MAX);
  if (!header || (header->flags & proto::kFlagStream) == 0) {
    drop(header ? "a frame other than a stream's while a stream is open"
                : header.error().message());
    return false;
  }
  if (header->payload_len > options_.max_payload) {
    (void)sendResponse(fd, {.status = RR_ETOO_LARGE}, {});
    drop("payload of " + std::to_string(header->payload_len) + " bytes over the limit");
    return false;
  }
  std::string names;
  host::TraceContext trace;
  if (auto r = readNamesAndTrace(fd, *header, names, trace); !r) {
    drop(r.error().message());
    return false;
  }
  return serveStreamFrame(fd, *header, names, trace, stream, &receiver, passed.get());
}

}  // namespace rr::transport
