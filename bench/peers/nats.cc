// The NATS peer: request/reply through a nats-server the run starts on a loopback port the
// server picks itself. The producer sends the payload as a request; the consumer, subscribed
// synchronously, checks it and replies with its Ack, which ends the producer's request.
//
// NATS caps a message's payload: nats-server accepts max_payload up to 64 MiB, so larger
// payloads fail with that limit named.

#include <nats/nats.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <memory>

#include "roadrunner/base/try.h"
#include "roadrunner/base/unique_fd.h"
#include "roadrunner/sys/pipe.h"
#include "roadrunner/sys/subprocess.h"

#include "peer.h"

namespace rr::bench::peers {
namespace {

constexpr std::uint64_t kMaxPayload = 64ULL << 20U;  // nats-server's MAX_PAYLOAD_MAX_SIZE
constexpr const char* kSubject = "rr.bench.payload";

template <auto DestroyFn>
struct NatsDelete {
  template <typename T>
  void operator()(T* p) const noexcept {
    DestroyFn(p);
  }
};
using OptionsPtr = std::unique_ptr<natsOptions, NatsDelete<&natsOptions_Destroy>>;
using ConnectionPtr = std::unique_ptr<natsConnection, NatsDelete<&natsConnection_Destroy>>;
using SubscriptionPtr = std::unique_ptr<natsSubscription, NatsDelete<&natsSubscription_Destroy>>;
using MessagePtr = std::unique_ptr<natsMsg, NatsDelete<&natsMsg_Destroy>>;

Result<> ok(natsStatus s, std::string_view op) {
  if (s == NATS_OK) {
    return {};
  }
  return fail(Errc::kProtocol, "nats", std::string(op) + ": " + natsStatus_GetText(s));
}

Result<> checkSize(std::uint64_t size) {
  if (size > kMaxPayload) {
    return fail(
        Errc::kInvalidArgument, "nats",
        "cannot carry a " + mib(size) + " payload: nats-server's max_payload is at most 64 MiB");
  }
  return {};
}

class NatsServer final : public Daemon {
 public:
  static Result<DaemonPtr> start(Clock::time_point deadline);
  NatsServer(TempDir dir, sys::Subprocess process, UniqueFd output)
      : dir_(std::move(dir)), process_(std::move(process)), output_(std::move(output)) {}
  ~NatsServer() override { stop(); }
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;
  NatsServer(NatsServer&&) = delete;
  NatsServer& operator=(NatsServer&&) = delete;

  [[nodiscard]] std::string address() const override { return address_; }
  std::uint64_t stop() override {
    (void)process_.stop(std::chrono::seconds(10));
    output_.reset();  // only now: a Go program dies of SIGPIPE when its stderr is a closed pipe
    return process_.peakRssBytes();
  }

 private:
  TempDir dir_;  // its config file
  sys::Subprocess process_;
  UniqueFd output_;  // its log, read until it is ready
  std::string address_;
};

// The server's configuration: loopback, a port it picks (-1), payloads up to the limit.
std::string serverConfig() {
  return "host: 127.0.0.1\nport: -1\nmax_payload: " + std::to_string(kMaxPayload) +
         "\nmax_pending: " + std::to_string(4 * kMaxPayload) + "\nwrite_deadline: \"120s\"\n";
}

// "... Listening for client connections on 127.0.0.1:PORT" in the server's log.
std::string clientAddress(const std::string& log) {
  constexpr std::string_view kListening = "Listening for client connections on ";
  const auto at = log.find(kListening);
  if (at == std::string::npos) {
    return "";
  }
  const auto begin = at + kListening.size();
  return "nats://" + log.substr(begin, log.find_first_of("\r\n", begin) - begin);
}

Result<DaemonPtr> NatsServer::start(Clock::time_point deadline) {
  RR_ASSIGN_OR_RETURN(TempDir dir, TempDir::make("rr-nats"));
  const std::string config = dir.file("nats.conf");
  std::ofstream(config) << serverConfig();
  RR_ASSIGN_OR_RETURN(sys::Pipe pipe, sys::makePipe());
  auto process = sys::Subprocess::spawn(
      {.argv = {"nats-server", "-c", config},
       .search_path = true,
       .fds = {{pipe.write_end.get(), STDOUT_FILENO}, {pipe.write_end.get(), STDERR_FILENO}}});
  if (!process) {
    return fail(
        Errc::kNotFound, "nats",
        "cannot start nats-server (Debian package nats-server): " + process.error().message());
  }
  pipe.write_end.reset();
  auto server =
      std::make_unique<NatsServer>(std::move(dir), std::move(*process), std::move(pipe.read_end));
  RR_ASSIGN_OR_RETURN(const std::string log,
                      readUntilLine(server->output_.get(), "Server is ready",
                                    std::min(deadline, Clock::now() + std::chrono::seconds(30))));
  server->address_ = clientAddress(log);
  if (server->address_.empty()) {
    return fail(Errc::kProtocol, "nats", "nats-server did not say where it listens");
  }
  return server;
}

Result<DaemonPtr> startServer(std::uint64_t /*size*/, Clock::time_point deadline) {
  return NatsServer::start(deadline);
}

Result<ConnectionPtr> connect(const std::string& url, Clock::time_point deadline) {
  natsOptions* raw_options = nullptr;
  RR_RETURN_IF_ERROR(ok(natsOptions_Create(&raw_options), "options"));
  const OptionsPtr options(raw_options);
  RR_RETURN_IF_ERROR(ok(natsOptions_SetURL(options.get(), url.c_str()), "url"));
  RR_RETURN_IF_ERROR(ok(
      natsOptions_SetTimeout(options.get(), std::min<std::int64_t>(millisLeft(deadline), 30'000)),
      "timeout"));
  natsConnection* connection = nullptr;
  RR_RETURN_IF_ERROR(ok(natsConnection_Connect(&connection, options.get()), "connect " + url));
  return ConnectionPtr(connection);
}

Result<> consume(const RoleArgs& args) {
  RR_ASSIGN_OR_RETURN(const ConnectionPtr connection, connect(args.address, args.deadline));
  natsSubscription* raw_sub = nullptr;
  RR_RETURN_IF_ERROR(
      ok(natsConnection_SubscribeSync(&raw_sub, connection.get(), kSubject), "subscribe"));
  const SubscriptionPtr subscription(raw_sub);
  // No client-side limit on what waits to be read: one payload may be 64 MiB.
  RR_RETURN_IF_ERROR(ok(natsSubscription_SetPendingLimits(subscription.get(), -1, -1), "limits"));
  RR_RETURN_IF_ERROR(
      ok(natsConnection_FlushTimeout(connection.get(), millisLeft(args.deadline)), "flush"));
  RR_RETURN_IF_ERROR(announceReady(args.address));
  for (int round = 0; round <= args.runs; ++round) {
    natsMsg* raw_msg = nullptr;
    RR_RETURN_IF_ERROR(ok(
        natsSubscription_NextMsg(&raw_msg, subscription.get(), millisLeft(args.deadline)), "next"));
    const MessagePtr msg(raw_msg);
    // The message owns its buffer, and we own the message: checked in place.
    auto* bytes = reinterpret_cast<std::uint8_t*>(const_cast<char*>(natsMsg_GetData(msg.get())));
    const Ack ack =
        checkPayload({bytes, static_cast<std::size_t>(natsMsg_GetDataLength(msg.get()))});
    RR_RETURN_IF_ERROR(
        ok(natsConnection_Publish(connection.get(), natsMsg_GetReply(msg.get()), &ack, sizeof ack),
           "reply"));
  }
  return ok(natsConnection_FlushTimeout(connection.get(), millisLeft(args.deadline)), "flush");
}

Result<std::vector<Round>> produce(const RoleArgs& args) {
  RR_ASSIGN_OR_RETURN(const ConnectionPtr connection, connect(args.address, args.deadline));
  std::vector<std::uint8_t> payload = makePayload(args.size);
  std::vector<Round> rounds;
  for (int round = 0; round <= args.runs; ++round) {
    Round r{.sent = stampPayload(payload, round)};
    natsMsg* raw_reply = nullptr;
    r.t0 = nowSeconds();
    RR_RETURN_IF_ERROR(
        ok(natsConnection_Request(&raw_reply, connection.get(), kSubject, payload.data(),
                                  static_cast<int>(payload.size()), millisLeft(args.deadline)),
           "request"));
    r.done = nowSeconds();
    const MessagePtr reply(raw_reply);
    if (natsMsg_GetDataLength(reply.get()) != static_cast<int>(sizeof(Ack))) {
      return fail(Errc::kProtocol, "nats", "a reply that is not an Ack");
    }
    Ack ack;
    std::memcpy(&ack, natsMsg_GetData(reply.get()), sizeof ack);
    r.record(ack);
    rounds.push_back(r);
  }
  return rounds;
}

}  // namespace

const Peer kNatsPeer{.name = "nats",
                     .check_size = checkSize,
                     .start_daemon = startServer,
                     .consume = consume,
                     .produce = produce};

}  // namespace rr::bench::peers
