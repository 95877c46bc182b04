#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "roadrunner/base/unique_fd.h"
#include "roadrunner/host/endpoint.h"
#include "roadrunner/sys/mapping.h"
#include "roadrunner/sys/tcp.h"
#include "roadrunner/transport/address.h"
#include "roadrunner/transport/mailbox.h"

namespace rr::transport {

struct SocketEndpointOptions {
  /// Kernel mode: payloads of at least this many bytes travel as a memfd (UINT64_MAX: never).
  std::uint64_t memfd_threshold = UINT64_MAX;
  /// Network mode: payloads of at least this many bytes go out with vmsplice + splice (no copy
  /// in user space); smaller ones with one writev.
  std::uint64_t splice_threshold = 256U << 10U;
  int timeout_seconds = 60;       ///< a peer that makes no progress this long fails the send
  int connect_timeout_ms = 5000;  ///< network: connect attempts (with backoff) give up after this
  std::string secret;             ///< network: the shared secret (required for tcp)
  /// Callers run on threads with their own descriptor tables (unshare(CLONE_FILES)): each
  /// connection belongs to its thread's table, so the endpoint never closes them itself.
  bool thread_private_fds = false;
  /// Kernel mode: payloads up to Mailbox::kMaxPayload with replies up to Mailbox::kMaxReply
  /// travel through a shared Mailbox on a connection of their own (no system call while both
  /// sides are awake) instead of the socket's stream.
  bool mailbox = true;
  /// Deliveries run on a thread of the endpoint's own, started with it (so its connection lives
  /// in the constructing thread's descriptor table): a fan-out over many endpoints proceeds in
  /// parallel. Costs a thread hand-off per delivery.
  bool own_thread = false;
  /// Kernel mode: stream chunks of at least this many bytes travel through the stream's ring, a
  /// memfd both hosts map, instead of the socket (UINT64_MAX: never).
  std::uint64_t stream_ring_from = 64U << 10U;
};

/// A receiver in another process, reached over a UNIX socket on this node (kernel mode) or over
/// TCP on another node (network mode, after an HMAC challenge-response with the shared secret).
///
/// Data path, socket (2 copies, both by the kernel):
///   sender memory ─writev─▶ socket buffer ─read─▶ receiver's rr_alloc buffer
///   owner: sender, blocked in send until the receiver's response arrives
/// Data path, mailbox (kernel mode, payloads up to 64 KiB; 2 copies, both by the hosts):
///   sender memory ─memcpy─▶ shared Mailbox ─memcpy─▶ receiver's rr_alloc buffer
///   owner: sender, spinning then sleeping until the response is posted; no answer drops it
/// Data path, memfd (1 copy by the sender; the receiver maps the pages):
///   sender memory ─memcpy─▶ pooled size-sealed memfd ─SCM_RIGHTS─▶ mapped into receiver memory
///   the memfd is reused only after the response, so the receiver never sees it change
/// Data path, shared buffer (0 copies; a payload in the sender's shared buffer, lent or moved):
///   sender's shared memfd, reopened read-only ─SCM_RIGHTS─▶ mapped into receiver memory at the
///   payload's page; the sender is blocked until the response, which comes after the receiver
///   has unmapped it. No response (a time-out, a lost peer): DeliveryResult::shared_held, and
///   the sender's range moves to a fresh memfd before its guest runs again.
/// Data path, TCP (large payloads): sender memory ─vmsplice─▶ pipe ─splice─▶ socket ─read─▶
///   receiver's buffer (1 copy, by the receiver's read); the pages stay lent to the kernel until
///   the response, and the sender is blocked until then, so its buffer cannot change under the
///   kernel.
/// DeliveryResult::copied_bytes adds what each side's copy sites copied: this side's writev or
/// memcpy (vmsplice: nothing), and the receiving host's (proto::ResponseHeader::copied).
///
/// Streams (Delivery::stream): each stream has a connection of its own, made at its first event
/// and closed after its last; a chunk's frame (proto::kFlagStream) carries it on the socket (2
/// copies, both by the kernel) and its response comes once the receiving guest holds it. Kernel
/// mode, chunks from stream_ring_from (2 copies, both by the hosts, in user space):
///   sender memory ─memcpy─▶ ring slot (size-sealed memfd, kRingSlots slots) ─memcpy─▶ receiver's
///   buffer; the frame names the slot, the memfd passes with the first chunk that takes it; a
///   slot is written again only after the response for the chunk it held. A chunk
/// completes once it is written and every response but the last kStreamWindow chunks' has come,
/// so the socket never idles for a round trip between chunks; a failure therefore reaches the
/// sender kStreamWindow chunks late at most, and the end waits for every response. A stream
/// whose connection failed gets kUnavailable from then on; the receiving host, seeing the
/// connection close before the stream's end, aborts it there.
///
/// Connections are persistent, one per calling thread, and replaced transparently when the
/// receiver restarted (a hung-up idle connection is detected before sending) or refused a frame
/// as too large (the server closes after answering kTooLarge, so the sender drops it at once).
/// A connection that fails mid-transfer is never retried: the receiver may or may not have run
/// the handler, and the sender gets RR_EUNAVAILABLE (or RR_ETIMEDOUT) instead of a duplicate.
///
/// Thread-safety: `deliverAsync` from any thread (it completes before returning).
class SocketEndpoint final : public host::Endpoint {
 public:
  /// Stream chunks written but not yet answered when a write completes. Two, not one: the
  /// receiving host has the next frame queued when it answers one, so the writer's wake-up after
  /// the answer is off the path of every chunk.
  static constexpr std::uint32_t kStreamWindow = 2;
  /// A stream connection's SO_SNDBUF: a 1 MiB chunk and its frame fit (the kernel doubles it).
  static constexpr int kStreamSendBuffer = 1 << 20;
  /// A stream's ring has a slot for each chunk that may be unanswered, and one for the chunk
  /// being written, of kRingSlot bytes each (larger chunks go on the socket).
  static constexpr std::uint32_t kRingSlots = kStreamWindow + 1;
  static constexpr std::size_t kRingSlot = std::size_t{1} << 20U;

  /// `target` is the receiving function's name, carried in every frame and checked by the server.
  SocketEndpoint(Address address, std::string target, SocketEndpointOptions options);
  ~SocketEndpoint() override;
  SocketEndpoint(const SocketEndpoint&) = delete;
  SocketEndpoint& operator=(const SocketEndpoint&) = delete;
  SocketEndpoint(SocketEndpoint&&) = delete;
  SocketEndpoint& operator=(SocketEndpoint&&) = delete;

  void deliverAsync(const host::Delivery& delivery, host::Completion& completion) override;
  /// Ready when the stream has no chunk unanswered (its answer already here is read now, without
  /// waiting): the receiving host then holds every chunk before this one, and a chunk of up to
  /// kStreamSendBuffer fits the socket.
  [[nodiscard]] bool readyForChunk(std::uint64_t stream_id) override;
  [[nodiscard]] bool completesInline() const noexcept override { return !options_.own_thread; }

  [[nodiscard]] const Address& address() const noexcept { return address_; }

  /// The bytes of the pooled memfds (one per sending thread that sent a memfd payload).
  [[nodiscard]] std::uint64_t memfdPoolBytes();

  /// Per delivery: sender's send call -> receiver's handler entry, in seconds (same node).
  void recordLatencies(bool on) { record_ = on; }
  [[nodiscard]] std::vector<double> takeLatencies();

 private:
  // A stream's connection (in the opening thread's fd table) and its chunks still unanswered.
  struct StreamConnection {
    UniqueFd fd;
    std::uint32_t unanswered = 0;
    host::Status failed = host::Status::kOk;  // the first failure its responses reported
    std::uint64_t copied = 0;                 // by the receiving host, from its responses
    sys::Mapping ring;              // kernel mode: kRingSlots slots, shared with the receiver
    std::uint64_t ring_chunks = 0;  // chunks through the ring so far
  };
  // A sending thread's pooled memfd and its MAP_SHARED mapping. Replaced whole, never edited:
  // the old one stays intact until a larger one exists.
  struct Memfd {
    UniqueFd fd;
    sys::Mapping map;
  };
  [[nodiscard]] host::DeliveryResult transfer(const host::Delivery& d);
  [[nodiscard]] host::DeliveryResult transferStream(const host::Delivery& d);
  // The stream's connection (made for its first event), or an error.
  [[nodiscard]] Result<std::shared_ptr<StreamConnection>> streamConnection(const host::Delivery& d);
  // The offset of `d`'s chunk in `s`'s ring, copied there (with the memfd to pass when this
  // chunk makes the ring); nullopt for a chunk that goes on the socket.
  struct RingChunk {
    std::uint64_t offset = 0;
    UniqueFd pass;
  };
  [[nodiscard]] std::optional<RingChunk> ringChunk(StreamConnection& s, const host::Delivery& d);
  // Reads one response of `stream`'s into its failure and copy count.
  [[nodiscard]] static Result<> readStreamResponse(StreamConnection& stream);
  [[nodiscard]] Result<int> connection();
  void dropConnection();
  [[nodiscard]] Result<Memfd*> memfdFor(std::size_t len);
  // What a memfd frame passes: the descriptor (owned by `shared` or the pool), the payload's
  // first page in it, and the bytes this side copied to get it there.
  struct PassedMemfd {
    UniqueFd shared;
    int fd = -1;
    std::uint32_t page = 0;
    std::uint64_t copied = 0;
  };
  [[nodiscard]] Result<PassedMemfd> memfdPayload(const host::Delivery& d);
  [[nodiscard]] Result<UniqueFd> connect() const;
  // A sending thread's mailbox connection (its socket carries the set-up frame, then bells).
  struct MailboxConnection {
    UniqueFd sock;
    Mailbox box;
  };
  // The calling thread's mailbox connection, made on first use; nullptr when the server refused
  // one (`refused`: its status, or kUnavailable when it closed without an answer, as a server
  // from before mailboxes does); an error for a failed connect or a garbled answer.
  [[nodiscard]] Result<MailboxConnection*> mailboxConnection(const host::Delivery& d,
                                                             host::Status& refused);
  [[nodiscard]] std::optional<host::DeliveryResult> transferByMailbox(const host::Delivery& d,
                                                                      std::uint64_t send_ns,
                                                                      std::uint32_t reply_cap);

  Address address_;
  std::string target_;
  SocketEndpointOptions options_;
  std::mutex mutex_;
  std::map<std::thread::id, UniqueFd> connections_;  // fds live in each thread's own fd table
  std::map<std::thread::id, std::unique_ptr<Memfd>> memfds_;
  std::map<std::thread::id, sys::SplicePipe> pipes_;
  std::map<std::thread::id, std::unique_ptr<MailboxConnection>> mailboxes_;
  std::map<std::uint64_t, std::shared_ptr<StreamConnection>> streams_;  // by stream id
  std::atomic<bool> mailbox_refused_{false};
  // own_thread: queued deliveries and the thread that serves them.
  struct Job {
    host::Delivery delivery;
    host::Completion* completion = nullptr;
  };
  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::thread worker_;
  bool record_ = false;
  std::vector<double> latencies_;
};

}  // namespace rr::transport
