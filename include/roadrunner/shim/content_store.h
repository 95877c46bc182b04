#pragma once

// containerd's content through its gRPC API, on the socket containerd names in the shim's
// -address flag: which image a container was made from, that image's target, and the blobs
// behind it, each checked against its descriptor's size and sha256 digest. The shim reads a
// Wasm OCI artifact's module this way (wasm_layer.h chooses the layer). Every call has a
// deadline of 10 s. Built without gRPC (no libgrpc++-dev), every call fails with
// Errc::kNotFound and says so, and rootfs images still run.

#include <memory>
#include <string>

#include "roadrunner/base/error.h"
#include "roadrunner/shim/wasm_layer.h"

namespace rr::shim {

/// Whether this shim was built with gRPC, so that it reads Wasm OCI artifacts.
[[nodiscard]] bool contentStoreBuilt();

/// A client of one containerd namespace. Thread-safety: calls may run concurrently.
class ContentStore {
 public:
  /// `address`: containerd's gRPC socket path ("/run/containerd/containerd.sock"); connects on
  /// the first call.
  ContentStore(const std::string& address, std::string ns);
  ~ContentStore();
  ContentStore(ContentStore&&) noexcept;
  ContentStore& operator=(ContentStore&&) noexcept;
  ContentStore(const ContentStore&) = delete;
  ContentStore& operator=(const ContentStore&) = delete;

  /// The image name of a container. Errors: Errc::kNotFound (no such container), others as
  /// containerd answers.
  [[nodiscard]] Result<std::string> containerImage(const std::string& container_id) const;
  /// An image's target: its manifest or index.
  [[nodiscard]] Result<ContentDescriptor> imageTarget(const std::string& image) const;
  /// A blob's bytes; refused past `max_bytes`, or when they do not match the descriptor's size
  /// or digest (Errc::kProtocol).
  [[nodiscard]] Result<std::string> read(const ContentDescriptor& blob,
                                         std::int64_t max_bytes) const;

 private:
  struct Client;
  std::unique_ptr<Client> client_;
};

/// The container's Wasm module when its image carries it as a layer: container → image →
/// manifest (through an index if need be) → the layer, written to `out_path` (read-only).
/// Errors: Errc::kNotFound when the image has no module layer (a rootfs image), the
/// selection's errors (wasm_layer.h), containerd's.
[[nodiscard]] Result<ContentDescriptor> fetchWasmModule(const ContentStore& store,
                                                        const std::string& container_id,
                                                        const std::string& out_path);

}  // namespace rr::shim
