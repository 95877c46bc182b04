#pragma once

// Wasm modules carried as image layers rather than files in a rootfs: the Wasm OCI artifact
// (CNCF TAG Runtime: config application/vnd.wasm.config.v0+json, the module as one
// application/wasm layer) and images whose layers are modules. Which manifest of an index runs,
// and which layer of a manifest is the module; no I/O here (content_store.h reads the blobs).

#include <cstdint>
#include <string>
#include <string_view>

#include "roadrunner/base/error.h"

namespace rr::shim {

/// An OCI content descriptor, reduced to what the shim reads.
struct ContentDescriptor {
  std::string media_type;
  std::string digest;  ///< "sha256:HEX"
  std::int64_t size = 0;
  std::string title;  ///< annotation org.opencontainers.image.title, "" if none
};

/// Manifests and indexes above this size are refused: an image's own metadata is small.
inline constexpr std::int64_t kMaxManifestBytes = std::int64_t{4} << 20;
/// Module layers above this size are refused before a byte is read.
inline constexpr std::int64_t kMaxModuleBytes = std::int64_t{1} << 30;

/// Whether a media type is an image index (OCI index or Docker manifest list).
[[nodiscard]] bool isImageIndex(std::string_view media_type);

/// From an image index: the manifest to run. A manifest whose platform is Wasm (architecture
/// "wasm", or os "wasip1", "wasip2" or "wasi") wins; else a manifest without a platform; else
/// the only manifest. Errors: not JSON or no manifests (Errc::kMalformedConfig), several
/// manifests and none of them Wasm (Errc::kNotFound).
[[nodiscard]] Result<ContentDescriptor> selectManifest(std::string_view index_json);

/// From an image manifest: its one core-module layer (application/wasm,
/// application/vnd.w3c.wasm.module.v1+wasm, application/vnd.wasm.content.layer.v1+wasm).
/// Errors: not JSON (Errc::kMalformedConfig); no Wasm layer (Errc::kNotFound: a rootfs image);
/// only a component layer (Errc::kNotWasm: WasmEdge runs core modules); several module layers
/// (Errc::kInvalidArgument); a digest that is not sha256 or a size out of bounds
/// (Errc::kMalformedConfig).
[[nodiscard]] Result<ContentDescriptor> selectWasmLayer(std::string_view manifest_json);

}  // namespace rr::shim
