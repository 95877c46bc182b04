// ContentStore for a shim built without gRPC (libgrpc++-dev absent at configure time): every
// call says so, as Errc::kNotFound, so rootfs images run and a Wasm OCI artifact's start fails
// with this reason.

#include <string>

#include "roadrunner/shim/content_store.h"

namespace rr::shim {
namespace {

std::unexpected<Error> noGrpc() {
  return fail(Errc::kNotFound, "containerd content store",
              "this shim was built without gRPC (libgrpc++-dev), so it runs rootfs images "
              "only, not Wasm OCI artifacts");
}

}  // namespace

bool contentStoreBuilt() { return false; }

struct ContentStore::Client {};

ContentStore::ContentStore(const std::string& /*address*/, std::string /*ns*/) {}
ContentStore::~ContentStore() = default;
ContentStore::ContentStore(ContentStore&&) noexcept = default;
ContentStore& ContentStore::operator=(ContentStore&&) noexcept = default;

Result<std::string> ContentStore::containerImage(const std::string& /*container_id*/) const {
  return noGrpc();
}
Result<ContentDescriptor> ContentStore::imageTarget(const std::string& /*image*/) const {
  return noGrpc();
}
Result<std::string> ContentStore::read(const ContentDescriptor& /*blob*/,
                                       std::int64_t /*max_bytes*/) const {
  return noGrpc();
}

}  // namespace rr::shim
