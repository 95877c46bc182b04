#include "ttrpc_server.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <mutex>
#include <vector>

#include "roadrunner/base/log.h"
#include "roadrunner/shim/ttrpc_frame.h"

#include "ttrpc.pb.h"

namespace rr::shim {

/// One accepted connection, shared by its reader thread and the request threads.
struct TtrpcConnection {
  UniqueFd fd;
  std::mutex write_mu;

  bool writeAll(std::span<const std::byte> bytes) {
    const std::scoped_lock lock(write_mu);
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        return false;
      }
      bytes = bytes.subspan(static_cast<std::size_t>(n));
    }
    return true;
  }
};

namespace {

std::string responseBytes(const RpcResult& result) {
  ttrpc::Response response;
  if (result) {
    response.set_payload(*result);
  } else {
    response.mutable_status()->set_code(static_cast<int>(result.error().code));
    response.mutable_status()->set_message(result.error().message);
  }
  return response.SerializeAsString();
}

void respond(TtrpcConnection& conn, std::uint32_t stream, const RpcResult& result) {
  const std::string body = responseBytes(result);
  auto frame_bytes =
      encodeTtrpcFrame(stream, TtrpcType::kResponse,
                       std::span(reinterpret_cast<const std::byte*>(body.data()), body.size()));
  if (frame_bytes) {
    [[maybe_unused]] const bool sent = conn.writeAll(*frame_bytes);
  }
}

}  // namespace

RpcResult TtrpcServer::call(const ttrpc::Request& request) const {
  try {
    return handler_(request.service(), request.method(), request.payload());
  } catch (const std::exception& e) {
    return std::unexpected(RpcStatus{.code = RpcCode::kInternal,
                                     .message = std::string("internal error: ") + e.what()});
  } catch (...) {
    return std::unexpected(RpcStatus{.code = RpcCode::kInternal, .message = "internal error"});
  }
}

RpcStatus toRpcStatus(const Error& error) {
  RpcCode code = RpcCode::kUnknown;
  if (error.code == Errc::kNotFound || error.code == std::errc::no_such_file_or_directory ||
      error.code == std::errc::no_such_process) {
    code = RpcCode::kNotFound;
  } else if (error.code == Errc::kInvalidArgument || error.code == Errc::kNotWasm ||
             error.code == Errc::kMalformedConfig || error.code == Errc::kInvalidModule ||
             error.code == std::errc::invalid_argument) {
    code = RpcCode::kInvalidArgument;
  } else if (error.code == std::errc::file_exists) {
    code = RpcCode::kAlreadyExists;
  } else if (error.code == std::errc::device_or_resource_busy) {
    code = RpcCode::kFailedPrecondition;
  } else if (error.code == std::errc::function_not_supported) {
    code = RpcCode::kUnimplemented;
  }
  return {.code = code, .message = error.message()};
}

TtrpcServer::TtrpcServer(UniqueFd listener, RpcHandler handler)
    : listener_(std::move(listener)),
      wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      handler_(std::move(handler)) {}

TtrpcServer::~TtrpcServer() {
  {
    const std::scoped_lock lock(mu_);
    for (const int fd : open_fds_) {
      ::shutdown(fd, SHUT_RDWR);  // its reader sees the end and returns
    }
  }
  connections_.joinAll();
  requests_.joinAll();
}

void TtrpcServer::stop() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_.get(), &one, sizeof one);
}

void TtrpcServer::serve() {
  while (true) {
    std::array<pollfd, 2> fds{pollfd{.fd = listener_.get(), .events = POLLIN, .revents = 0},
                              pollfd{.fd = wake_.get(), .events = POLLIN, .revents = 0}};
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      RR_LOG_ERROR("poll: {}", std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) {
      return;
    }
    if ((fds[0].revents & POLLIN) != 0) {
      auto fd =
          std::make_shared<UniqueFd>(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!fd->valid()) {
        continue;
      }
      const std::scoped_lock lock(mu_);
      const int raw = fd->get();
      auto started = connections_.tryStart([this, fd] { connection(std::move(*fd)); });
      if (!started || !*started) {
        RR_LOG_WARN("ttrpc: refusing a connection: {}",
                    started ? std::to_string(connections_.limit()) + " connections are open"
                            : started.error().message());
        continue;  // `fd` closes it
      }
      open_fds_.push_back(raw);
    }
  }
}

void TtrpcServer::connection(UniqueFd fd) {
  auto conn = std::make_shared<TtrpcConnection>();
  conn->fd = std::move(fd);
  readRequests(conn);
  const std::scoped_lock lock(mu_);
  std::erase(open_fds_, conn->fd.get());
  // A request still running keeps `conn`, and its descriptor, until its response is written.
}

void TtrpcServer::readRequests(const std::shared_ptr<TtrpcConnection>& conn) {
  std::vector<std::byte> buffer;
  std::vector<std::byte> chunk(std::size_t{64} * 1024);
  while (true) {
    const ssize_t n = ::recv(conn->fd.get(), chunk.data(), chunk.size(), 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return;  // containerd closed the connection
    }
    buffer.insert(buffer.end(), chunk.begin(), chunk.begin() + n);
    std::size_t used = 0;
    while (true) {
      auto frame = nextTtrpcFrame(std::span(buffer).subspan(used));
      if (!frame) {
        RR_LOG_ERROR("ttrpc: {}; closing the connection", frame.error().message());
        return;
      }
      const std::optional<TtrpcFrame>& maybe_frame = *frame;
      if (!maybe_frame) {
        break;
      }
      const TtrpcFrame f = *maybe_frame;
      used += kTtrpcHeaderSize + f.header.length;
      if (f.header.type != static_cast<std::uint8_t>(TtrpcType::kRequest)) {
        continue;  // unary calls only: data frames have no stream to join
      }
      auto request = std::make_shared<ttrpc::Request>();
      const bool parsed =
          request->ParseFromArray(f.payload.data(), static_cast<int>(f.payload.size()));
      const std::uint32_t stream = f.header.stream_id;
      auto started = requests_.tryStart([this, conn, stream, parsed, request] {
        RpcResult result = std::unexpected(
            RpcStatus{.code = RpcCode::kInvalidArgument, .message = "malformed ttrpc request"});
        if (parsed) {
          result = call(*request);
        }
        respond(*conn, stream, result);
        if (stop_after_reply_) {
          stop();
        }
      });
      if (!started || !*started) {
        respond(*conn, stream,
                std::unexpected(RpcStatus{
                    .code = RpcCode::kResourceExhausted,
                    .message = std::to_string(requests_.limit()) + " requests are in progress"}));
      }
    }
    buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(used));
  }
}

}  // namespace rr::shim
