// ContentStore over containerd's gRPC API (containers, images and content services, v1), the
// namespace in the "containerd-namespace" header as containerd's own clients send it.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstddef>
#include <string>

#include "roadrunner/base/sha256.h"
#include "roadrunner/shim/content_store.h"

#include "containers.grpc.pb.h"
#include "content.grpc.pb.h"
#include "images.grpc.pb.h"

namespace rr::shim {
namespace {

namespace containers = containerd::services::containers::v1;
namespace content = containerd::services::content::v1;
namespace images = containerd::services::images::v1;

constexpr auto kCallDeadline = std::chrono::seconds(10);
constexpr int kMaxMessageBytes = 16 << 20;  // containerd streams blobs in 1 MiB messages

std::unexpected<Error> fromStatus(std::string_view call, const grpc::Status& status,
                                  const std::string& what) {
  const std::string detail = what + ": " + status.error_message();
  switch (status.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
      return fail(Errc::kNotFound, call, detail);
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return fail(Errc::kTimedOut, call, detail);
    case grpc::StatusCode::UNAVAILABLE:
      return failErrno(call, ECONNREFUSED, detail);
    default:
      return fail(Errc::kProtocol, call, detail);
  }
}

}  // namespace

bool contentStoreBuilt() { return true; }

struct ContentStore::Client {
  std::string ns;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<containers::Containers::Stub> containers;
  std::unique_ptr<images::Images::Stub> images;
  std::unique_ptr<content::Content::Stub> content;

  /// A context for one call: the namespace and the deadline.
  void prepare(grpc::ClientContext& context) const {
    context.AddMetadata("containerd-namespace", ns);
    context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  }
};

ContentStore::ContentStore(const std::string& address, std::string ns)
    : client_(std::make_unique<Client>()) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  const std::string target = address.starts_with("unix:") ? address : "unix:" + address;
  client_->ns = std::move(ns);
  client_->channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  client_->containers = containers::Containers::NewStub(client_->channel);
  client_->images = images::Images::NewStub(client_->channel);
  client_->content = content::Content::NewStub(client_->channel);
}

ContentStore::~ContentStore() = default;
ContentStore::ContentStore(ContentStore&&) noexcept = default;
ContentStore& ContentStore::operator=(ContentStore&&) noexcept = default;

Result<std::string> ContentStore::containerImage(const std::string& container_id) const {
  grpc::ClientContext context;
  client_->prepare(context);
  containers::GetContainerRequest request;
  request.set_id(container_id);
  containers::GetContainerResponse response;
  const grpc::Status status = client_->containers->Get(&context, request, &response);
  if (!status.ok()) {
    return fromStatus("containerd containers.Get", status, container_id);
  }
  if (response.container().image().empty()) {
    return fail(Errc::kNotFound, "containerd containers.Get",
                "container " + container_id + " was made from no image");
  }
  return response.container().image();
}

Result<ContentDescriptor> ContentStore::imageTarget(const std::string& image) const {
  grpc::ClientContext context;
  client_->prepare(context);
  images::GetImageRequest request;
  request.set_name(image);
  images::GetImageResponse response;
  const grpc::Status status = client_->images->Get(&context, request, &response);
  if (!status.ok()) {
    return fromStatus("containerd images.Get", status, image);
  }
  const auto& target = response.image().target();
  return ContentDescriptor{.media_type = target.media_type(),
                           .digest = target.digest(),
                           .size = target.size(),
                           .title = {}};
}

Result<std::string> ContentStore::read(const ContentDescriptor& blob,
                                       std::int64_t max_bytes) const {
  if (blob.size < 0 || blob.size > max_bytes) {
    return fail(Errc::kInvalidArgument, "containerd content.Read",
                blob.digest + " has " + std::to_string(blob.size) + " bytes, more than " +
                    std::to_string(max_bytes));
  }
  grpc::ClientContext context;
  client_->prepare(context);
  content::ReadContentRequest request;
  request.set_digest(blob.digest);
  std::string bytes;
  bytes.reserve(static_cast<std::size_t>(blob.size));
  auto reader = client_->content->Read(&context, request);
  content::ReadContentResponse chunk;
  bool overlong = false;
  while (reader->Read(&chunk)) {
    if (chunk.offset() != static_cast<std::int64_t>(bytes.size()) ||
        static_cast<std::int64_t>(bytes.size() + chunk.data().size()) > blob.size) {
      overlong = true;
      context.TryCancel();
      break;
    }
    bytes += chunk.data();
  }
  const grpc::Status status = reader->Finish();
  if (!overlong && !status.ok()) {
    return fromStatus("containerd content.Read", status, blob.digest);
  }
  if (overlong || static_cast<std::int64_t>(bytes.size()) != blob.size) {
    return fail(Errc::kProtocol, "containerd content.Read",
                blob.digest + ": the content store's bytes do not match the descriptor's size " +
                    std::to_string(blob.size));
  }
  if ("sha256:" + toHex(sha256(std::as_bytes(std::span(bytes)))) != blob.digest) {
    return fail(Errc::kProtocol, "containerd content.Read",
                blob.digest + ": the bytes have another sha256 digest");
  }
  return bytes;
}

}  // namespace rr::shim
