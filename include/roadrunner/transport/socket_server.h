#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "roadrunner/base/error.h"
#include "roadrunner/base/unique_fd.h"
#include "roadrunner/host/endpoint.h"
#include "roadrunner/proto/frame.h"
#include "roadrunner/sys/mapping.h"
#include "roadrunner/sys/thread_set.h"
#include "roadrunner/transport/address.h"
#include "roadrunner/transport/mailbox.h"

namespace rr::transport {

struct SocketServerOptions {
  std::uint64_t max_payload = 1ULL << 31;  ///< larger frames are refused and the connection dropped
  std::vector<uid_t> allowed_uids;         ///< besides our own uid (and root)
  int timeout_seconds =
      60;            ///< a sender stalled mid-frame, or idle between frames, this long is dropped
  std::string name;  ///< the served function; frames for another target get kUnknownTarget
  bool memfd_map = true;  ///< map memfd payloads into the guest (false: copy from a mapping)
  std::string secret;     ///< tcp: the shared secret every connection must prove (required)
  /// Connections served at once, each on its own thread. One more is closed at once, with a
  /// log line, before a byte is read; its sender gets RR_EUNAVAILABLE.
  std::size_t max_connections = 256;
};

/// Accepts senders on a UNIX socket (kernel mode: peers checked with SO_PEERCRED) or a TCP port
/// (network mode: peers must pass the HMAC challenge-response first) and delivers their frames
/// to `receiver`.
///
/// One thread per connection, at most `max_connections` at once, each joined as soon as its
/// connection ends, so a long-lived server's threads and address space stay flat however many
/// connections come and go. A connection carries any number of transfers. Frames are checked
/// (proto::decodeRequest) before any payload byte is read; the payload is read straight into the
/// receiving guest's buffer, or its memfd mapped there. A malformed frame, a peer with foreign
/// credentials or a peer dying mid-payload drops that connection with a logged reason; the handler
/// never sees a partial payload, and the server keeps serving.
class SocketServer {
 public:
  /// Listens at `address` (unix: its directory is created 0700 if missing, the socket is 0600;
  /// tcp: port 0 picks a free port, see address()).
  [[nodiscard]] static Result<std::unique_ptr<SocketServer>> start(Address address,
                                                                   host::Endpoint* receiver,
                                                                   SocketServerOptions options);
  ~SocketServer();
  SocketServer(const SocketServer&) = delete;
  SocketServer& operator=(const SocketServer&) = delete;
  SocketServer(SocketServer&&) = delete;
  SocketServer& operator=(SocketServer&&) = delete;

  /// Stops accepting, closes connections, removes the socket file.
  void stop();
  [[nodiscard]] std::uint64_t droppedConnections() const noexcept { return dropped_.load(); }
  /// Connections being served now (one thread each).
  [[nodiscard]] std::size_t openConnections() const { return connections_.size(); }
  /// Where it listens (with the real port for tcp).
  [[nodiscard]] const Address& address() const noexcept { return address_; }

 private:
  SocketServer(Address address, host::Endpoint* receiver, SocketServerOptions options)
      : address_(std::move(address)), receiver_(receiver), options_(std::move(options)) {}
  void acceptLoop();
  void serve(UniqueFd conn);
  // The rest of a connection that passed a Mailbox (proto::kFlagMailbox): its frames come
  // through the mailbox, its socket carries only doorbells.
  void serveMailbox(int fd, int memfd, std::string_view target);
  // Checks the frame posted in `box`, has `receiver` handle it and answers it there; false once
  // the connection must end.
  [[nodiscard]] bool answerMailboxFrame(int fd, Mailbox& box, host::HandleNow& receiver);
  // A mailbox that the receiver's own thread polls and answers (host::Poller).
  class MailboxPoller;
  // The connection's thread while the receiver polls its mailbox: waits on the socket for bells
  // (the receiver went to sleep), the sender's close, the idle time-out or stop().
  void watchMailbox(int fd, const MailboxPoller& poller);
  // The stream a connection carries (proto::kFlagStream), between its first event and its last.
  struct ConnectionStream {
    std::uint64_t id = 0;  // 0: none open; else host::nextStreamId()'s
    std::uint64_t seq = 0;
    std::string source;
    sys::Mapping ring;  // kernel mode: the sender's ring, read-only, once a chunk passed it
  };
  // Reads the rest of a stream frame and delivers it, through `now` (on the receiver's own
  // thread) or else the receiver's queue; false once the connection must end. `passed`: a
  // descriptor that came with the frame (the stream's ring, with its first chunk), or -1.
  [[nodiscard]] bool serveStreamFrame(int fd, const proto::RequestHeader& header,
                                      std::string_view names, const host::TraceContext& trace,
                                      ConnectionStream& stream, host::HandleNow* now, int passed);
  // A stream's frames, read and answered by the receiver's own thread (host::Poller).
  class StreamPoller;
  // The rest of an open stream, through a StreamPoller when the receiver takes one; false once
  // the connection must end.
  [[nodiscard]] bool pollStream(int fd, ConnectionStream& stream);
  // The connection's thread while the receiver reads the stream: waits on the socket only while
  // the receiver sleeps, and wakes it for the next frame, the sender's close or the time-out.
  void watchStream(int fd, StreamPoller& poller);
  // Reads and serves the next frame of an open stream on the receiver's thread; false once the
  // connection must end.
  [[nodiscard]] bool serveNextStreamFrame(int fd, ConnectionStream& stream,
                                          host::HandleNow& receiver);
  // The connection ended with its stream open: the receiver hears an abort, never an end.
  void abortStream(ConnectionStream& stream);
  void drop(const std::string& why);
  [[nodiscard]] bool forUs(std::string_view target) const noexcept;
  [[nodiscard]] static proto::ResponseHeader responseFor(const host::DeliveryResult& result);

  Address address_;
  host::Endpoint* receiver_;
  SocketServerOptions options_;
  UniqueFd listen_fd_;
  // The socket file this server bound (device, inode): stop() removes the path only while it
  // still names this socket, never one that a newer server has bound there since.
  std::pair<dev_t, ino_t> socket_file_{};
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> dropped_{0};
  std::mutex mutex_;
  std::vector<int> open_fds_;  // for stop(): shutdown() wakes their threads
  sys::ThreadSet connections_{options_.max_connections};
  std::thread accept_thread_;
};

}  // namespace rr::transport
