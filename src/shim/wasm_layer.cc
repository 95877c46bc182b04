#include "roadrunner/shim/wasm_layer.h"

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "roadrunner/base/try.h"

namespace rr::shim {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 3> kModuleLayerTypes = {
    "application/wasm", "application/vnd.w3c.wasm.module.v1+wasm",
    "application/vnd.wasm.content.layer.v1+wasm"};
constexpr std::string_view kComponentLayerType =
    "application/vnd.bytecodealliance.wasm.component.layer.v0+wasm";

std::unexpected<Error> bad(std::string_view what, std::string detail) {
  return fail(Errc::kMalformedConfig, what, std::move(detail));
}

std::string stringAt(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool validSha256(std::string_view digest) {
  constexpr std::string_view kPrefix = "sha256:";
  if (!digest.starts_with(kPrefix) || digest.size() != kPrefix.size() + 64) {
    return false;
  }
  return std::ranges::all_of(digest.substr(kPrefix.size()), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

Result<ContentDescriptor> descriptor(const json& item, std::string_view what,
                                     std::int64_t max_size) {
  if (!item.is_object()) {
    return bad(what, "has a descriptor that is not an object");
  }
  ContentDescriptor d{.media_type = stringAt(item, "mediaType"),
                      .digest = stringAt(item, "digest"),
                      .size = -1,
                      .title = {}};
  if (const auto size = item.find("size"); size != item.end() && size->is_number_integer()) {
    d.size = size->get<std::int64_t>();
  }
  if (!validSha256(d.digest)) {
    return bad(what, "names digest '" + d.digest + "', not sha256:<64 hex digits>");
  }
  if (d.size < 0 || d.size > max_size) {
    return bad(what, "names " + d.digest + " of size " + std::to_string(d.size) + ", not 0 to " +
                         std::to_string(max_size) + " bytes");
  }
  if (const auto annotations = item.find("annotations");
      annotations != item.end() && annotations->is_object()) {
    d.title = stringAt(*annotations, "org.opencontainers.image.title");
  }
  return d;
}

Result<json> parseObject(std::string_view text, std::string_view what, const char* list) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return bad(what, "is not a JSON object");
  }
  if (!doc.contains(list) || !doc.at(list).is_array()) {
    return bad(what, std::string("has no ") + list + " list");
  }
  return doc;
}

bool wasmPlatform(const json& manifest) {
  const auto platform = manifest.find("platform");
  if (platform == manifest.end() || !platform->is_object()) {
    return false;
  }
  const std::string os = stringAt(*platform, "os");
  return stringAt(*platform, "architecture") == "wasm" || os == "wasip1" || os == "wasip2" ||
         os == "wasi";
}

}  // namespace

bool isImageIndex(std::string_view media_type) {
  return media_type == "application/vnd.oci.image.index.v1+json" ||
         media_type == "application/vnd.docker.distribution.manifest.list.v2+json";
}

Result<ContentDescriptor> selectManifest(std::string_view index_json) {
  RR_ASSIGN_OR_RETURN(const json index, parseObject(index_json, "image index", "manifests"));
  const json& manifests = index.at("manifests");
  if (manifests.empty()) {
    return bad("image index", "has no manifests");
  }
  const json* chosen = nullptr;
  for (const auto& m : manifests) {
    if (m.is_object() && wasmPlatform(m)) {
      chosen = &m;
      break;
    }
  }
  for (const auto& m : manifests) {
    if (chosen == nullptr && m.is_object() && !m.contains("platform")) {
      chosen = &m;
    }
  }
  if (chosen == nullptr && manifests.size() == 1) {
    chosen = &manifests.front();
  }
  if (chosen == nullptr) {
    return fail(Errc::kNotFound, "image index",
                "has " + std::to_string(manifests.size()) +
                    " manifests and none for the wasm platform (os wasip1, wasip2 or wasi)");
  }
  return descriptor(*chosen, "image index", kMaxManifestBytes);
}

Result<ContentDescriptor> selectWasmLayer(std::string_view manifest_json) {
  RR_ASSIGN_OR_RETURN(const json manifest, parseObject(manifest_json, "image manifest", "layers"));
  std::vector<ContentDescriptor> modules;
  std::vector<std::string> seen;
  for (const auto& layer : manifest.at("layers")) {
    const std::string type = layer.is_object() ? stringAt(layer, "mediaType") : std::string();
    seen.push_back(type);
    if (std::ranges::find(kModuleLayerTypes, type) != kModuleLayerTypes.end()) {
      RR_ASSIGN_OR_RETURN(auto d, descriptor(layer, "image manifest", kMaxModuleBytes));
      modules.push_back(std::move(d));
    }
  }
  if (modules.size() == 1) {
    return modules.front();
  }
  if (modules.size() > 1) {
    return fail(Errc::kInvalidArgument, "image manifest",
                "has " + std::to_string(modules.size()) +
                    " Wasm module layers; an image that runs here carries one");
  }
  if (std::ranges::find(seen, kComponentLayerType) != seen.end()) {
    return fail(Errc::kNotWasm, "image manifest",
                "has a Wasm component layer; WasmEdge runs core modules (wasm32-wasip1)");
  }
  std::string types;
  for (const auto& t : seen) {
    types += (types.empty() ? "" : ", ") + (t.empty() ? std::string("(none)") : t);
  }
  return fail(Errc::kNotFound, "image manifest",
              "has no Wasm module layer (layers: " + (types.empty() ? "none" : types) + ")");
}

}  // namespace rr::shim
