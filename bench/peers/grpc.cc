// The gRPC peer: one unary call per round with the payload in a protobuf `bytes` field; the
// consumer is the server. Both ends handle the raw message, so protobuf's own encode (producer)
// and parse (consumer) are timed: together they are serialization_s, inside the window. The
// producer's payload lives in the request message itself, so nothing is copied before the encode.
//
// Message sizes are raised to gRPC's maximum, an int: payloads up to 2 GiB less a little.

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include <climits>
#include <condition_variable>
#include <future>
#include <mutex>

#include "roadrunner/base/try.h"

#include "peer.h"
#include "sink.grpc.pb.h"

namespace rr::bench::peers {
namespace {

constexpr std::uint64_t kMaxPayload = INT_MAX - 4096;  // field tag and length fit the rest
constexpr const char* kMethod = "/rr.sink.Sink/Deliver";

Result<> checkSize(std::uint64_t size) {
  if (size > kMaxPayload) {
    return fail(Errc::kInvalidArgument, "grpc",
                "cannot carry a " + mib(size) + " payload: gRPC's largest message is 2 GiB");
  }
  return {};
}

std::chrono::system_clock::time_point grpcDeadline(Clock::time_point deadline) {
  return std::chrono::system_clock::now() + std::chrono::milliseconds(millisLeft(deadline));
}

// The consumer: Deliver on the raw request, so that the parse can be timed.
class Sink final : public rr::sink::Sink::WithRawCallbackMethod_Deliver<rr::sink::Sink::Service> {
 public:
  explicit Sink(int rounds) : left_(rounds) {}

  grpc::ServerUnaryReactor* Deliver(grpc::CallbackServerContext* context,
                                    const grpc::ByteBuffer* request,
                                    grpc::ByteBuffer* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    const double start = nowSeconds();
    grpc::ByteBuffer bytes(*request);  // shares the slices; parsing consumes the buffer
    rr::sink::Payload payload;
    if (!grpc::SerializationTraits<rr::sink::Payload>::Deserialize(&bytes, &payload).ok()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "not a Payload"));
      return reactor;
    }
    const double decode_s = nowSeconds() - start;
    std::string& data = *payload.mutable_data();
    const Ack checked = checkPayload({reinterpret_cast<std::uint8_t*>(data.data()), data.size()});
    rr::sink::Ack ack;
    ack.set_seal(checked.seal);
    ack.set_consumed_s(checked.consumed_s);
    ack.set_held_s(checked.held_s);
    ack.set_decode_s(decode_s);
    bool own = false;
    reactor->Finish(grpc::SerializationTraits<rr::sink::Ack>::Serialize(ack, response, &own));
    countRound();
    return reactor;
  }

  // True once every round arrived, false at `deadline`.
  bool awaitRounds(Clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    return all_done_.wait_until(lock, deadline, [this] { return left_ == 0; });
  }

 private:
  void countRound() {
    const std::lock_guard lock(mutex_);
    if (left_ == 0) {
      return;
    }
    --left_;
    if (left_ == 0) {
      all_done_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable all_done_;
  int left_;
};

Result<> consume(const RoleArgs& args) {
  Sink sink(args.runs + 1);
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(INT_MAX);
  builder.SetMaxSendMessageSize(INT_MAX);
  builder.RegisterService(&sink);
  const std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return fail(Errc::kProtocol, "grpc", "the server did not start on 127.0.0.1");
  }
  RR_RETURN_IF_ERROR(announceReady("127.0.0.1:" + std::to_string(port)));
  const bool all = sink.awaitRounds(args.deadline);
  // Lets the last call's Ack go out before the server ends.
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!all) {
    return fail(Errc::kTimedOut, "grpc", "not every round arrived by the deadline");
  }
  return {};
}

// One unary call on the raw message, bounded by the call's deadline.
Result<rr::sink::Ack> deliver(grpc::GenericStub& stub, const grpc::ByteBuffer& request,
                              Clock::time_point deadline) {
  grpc::ClientContext context;
  context.set_deadline(grpcDeadline(deadline));
  grpc::ByteBuffer response;
  std::promise<grpc::Status> finished;
  stub.UnaryCall(&context, kMethod, grpc::StubOptions(), &request, &response,
                 [&finished](grpc::Status s) { finished.set_value(std::move(s)); });
  const grpc::Status status = finished.get_future().get();  // gRPC ends it by the deadline
  if (!status.ok()) {
    return fail(Errc::kProtocol, "grpc", "Deliver: " + status.error_message());
  }
  rr::sink::Ack ack;
  if (!grpc::SerializationTraits<rr::sink::Ack>::Deserialize(&response, &ack).ok()) {
    return fail(Errc::kProtocol, "grpc", "an answer that is not an Ack");
  }
  return ack;
}

Result<std::vector<Round>> produce(const RoleArgs& args) {
  grpc::ChannelArguments channel_args;
  channel_args.SetMaxReceiveMessageSize(-1);
  channel_args.SetMaxSendMessageSize(-1);
  const auto channel =
      grpc::CreateCustomChannel(args.address, grpc::InsecureChannelCredentials(), channel_args);
  if (!channel->WaitForConnected(grpcDeadline(args.deadline))) {
    return fail(Errc::kTimedOut, "grpc", "cannot connect to " + args.address);
  }
  grpc::GenericStub stub(channel);
  rr::sink::Payload message;
  std::string& data = *message.mutable_data();
  data.resize(args.size);
  const std::span payload(reinterpret_cast<std::uint8_t*>(data.data()), data.size());
  fillPayload(payload);
  std::vector<Round> rounds;
  for (int round = 0; round <= args.runs; ++round) {
    Round r{.sent = stampPayload(payload, round)};
    r.t0 = nowSeconds();
    grpc::ByteBuffer request;
    bool own = false;
    if (!grpc::SerializationTraits<rr::sink::Payload>::Serialize(message, &request, &own).ok()) {
      return fail(Errc::kProtocol, "grpc", "cannot encode the payload");
    }
    const double encode_s = nowSeconds() - r.t0;
    RR_ASSIGN_OR_RETURN(const rr::sink::Ack ack, deliver(stub, request, args.deadline));
    r.done = nowSeconds();
    r.consumed = ack.consumed_s();
    r.held = ack.held_s();
    r.got = ack.seal();
    r.serialization = encode_s + ack.decode_s();
    rounds.push_back(r);
  }
  return rounds;
}

}  // namespace

const Peer kGrpcPeer{.name = "grpc",
                     .check_size = checkSize,
                     .start_daemon = nullptr,
                     .consume = consume,
                     .produce = produce};

}  // namespace rr::bench::peers
