// Which manifest of an index and which layer of a manifest the shim runs (wasm_layer.h): the
// CNCF Wasm OCI artifact, the older module media types, rootfs images, and hostile descriptors.

#include "roadrunner/shim/wasm_layer.h"

#include <string>

#include <gtest/gtest.h>

namespace rr::shim {
namespace {

const std::string kDigestA = "sha256:" + std::string(64, 'a');
const std::string kDigestB = "sha256:" + std::string(64, 'b');

std::string layer(const std::string& type, const std::string& digest, long long size,
                  const std::string& extra = "") {
  return R"({"mediaType":")" + type + R"(","digest":")" + digest + R"(","size":)" +
         std::to_string(size) + extra + "}";
}

std::string manifest(const std::string& layers) {
  return R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.wasm.config.v0+json"},)"
         R"("layers":[)" +
         layers + "]}";
}

TEST(WasmLayer, TheArtifactsApplicationWasmLayerIsTheModule) {
  const auto chosen = selectWasmLayer(
      manifest(layer("application/wasm", kDigestA, 138982,
                     R"(,"annotations":{"org.opencontainers.image.title":"counter.wasm"})")));
  ASSERT_TRUE(chosen) << chosen.error().message();
  EXPECT_EQ(chosen->digest, kDigestA);
  EXPECT_EQ(chosen->size, 138982);
  EXPECT_EQ(chosen->media_type, "application/wasm");
  EXPECT_EQ(chosen->title, "counter.wasm");
}

TEST(WasmLayer, OlderModuleMediaTypesCountBesideOtherLayers) {
  for (const std::string type :
       {"application/vnd.w3c.wasm.module.v1+wasm", "application/vnd.wasm.content.layer.v1+wasm"}) {
    const auto chosen =
        selectWasmLayer(manifest(layer("application/vnd.oci.image.layer.v1.tar", kDigestB, 10) +
                                 "," + layer(type, kDigestA, 5)));
    ASSERT_TRUE(chosen) << type << ": " << chosen.error().message();
    EXPECT_EQ(chosen->digest, kDigestA) << type;
  }
}

TEST(WasmLayer, ARootfsImageHasNoModuleLayer) {
  const auto none =
      selectWasmLayer(manifest(layer("application/vnd.oci.image.layer.v1.tar+gzip", kDigestA, 9)));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::kNotFound);
  EXPECT_EQ(none.error().message(),
            "image manifest has no Wasm module layer (layers: "
            "application/vnd.oci.image.layer.v1.tar+gzip): not found");
}

TEST(WasmLayer, RefusesComponentsSeveralModulesAndBadDescriptors) {
  const auto component = selectWasmLayer(manifest(
      layer("application/vnd.bytecodealliance.wasm.component.layer.v0+wasm", kDigestA, 9)));
  ASSERT_FALSE(component);
  EXPECT_EQ(component.error().code, Errc::kNotWasm);
  const auto two = selectWasmLayer(manifest(layer("application/wasm", kDigestA, 9) + "," +
                                            layer("application/wasm", kDigestB, 9)));
  ASSERT_FALSE(two);
  EXPECT_EQ(two.error().code, Errc::kInvalidArgument);
  for (const auto& bad : {layer("application/wasm", "sha512:" + std::string(128, 'a'), 9),
                          layer("application/wasm", "sha256:../../etc/passwd", 9),
                          layer("application/wasm", "sha256:" + std::string(64, 'A'), 9),
                          layer("application/wasm", kDigestA, -1),
                          layer("application/wasm", kDigestA, kMaxModuleBytes + 1),
                          std::string(R"({"mediaType":"application/wasm","digest":")") + kDigestA +
                              R"(","size":"9"})"}) {
    const auto refused = selectWasmLayer(manifest(bad));
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().code, Errc::kMalformedConfig) << bad;
  }
  for (const std::string text : {"", "[]", "{}", R"({"layers":{}})", "{\"layers\":[", "null"}) {
    const auto refused = selectWasmLayer(text);
    ASSERT_FALSE(refused) << text;
    EXPECT_EQ(refused.error().code, Errc::kMalformedConfig) << text;
  }
}

std::string entry(const std::string& digest, const std::string& platform) {
  return R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + digest +
         R"(","size":500)" + (platform.empty() ? "" : R"(,"platform":)" + platform) + "}";
}

std::string index(const std::string& manifests) {
  return R"({"schemaVersion":2,"manifests":[)" + manifests + "]}";
}

TEST(WasmLayer, AnIndexRunsItsWasmManifest) {
  const std::string linux_amd64 = R"({"os":"linux","architecture":"amd64"})";
  for (const std::string wasm :
       {R"({"os":"wasip1","architecture":"wasm"})", R"({"os":"wasi","architecture":"wasm"})",
        R"({"os":"wasip2","architecture":"wasm32"})"}) {
    const auto chosen =
        selectManifest(index(entry(kDigestA, linux_amd64) + "," + entry(kDigestB, wasm)));
    ASSERT_TRUE(chosen) << wasm << ": " << chosen.error().message();
    EXPECT_EQ(chosen->digest, kDigestB) << wasm;
  }
  const auto no_platform =
      selectManifest(index(entry(kDigestA, linux_amd64) + "," + entry(kDigestB, "")));
  ASSERT_TRUE(no_platform);
  EXPECT_EQ(no_platform->digest, kDigestB);
  const auto only = selectManifest(index(entry(kDigestA, linux_amd64)));
  ASSERT_TRUE(only);
  EXPECT_EQ(only->digest, kDigestA);
}

TEST(WasmLayer, AnIndexWithoutAWasmManifestIsRefused) {
  const auto none = selectManifest(
      index(entry(kDigestA, R"({"os":"linux"})") + "," + entry(kDigestB, R"({"os":"windows"})")));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::kNotFound);
  const auto empty = selectManifest(index(""));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, Errc::kMalformedConfig);
  const auto big = selectManifest(index(R"({"digest":")" + kDigestA + R"(","size":)" +
                                        std::to_string(kMaxManifestBytes + 1) + "}"));
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, Errc::kMalformedConfig);
}

TEST(WasmLayer, IndexMediaTypes) {
  EXPECT_TRUE(isImageIndex("application/vnd.oci.image.index.v1+json"));
  EXPECT_TRUE(isImageIndex("application/vnd.docker.distribution.manifest.list.v2+json"));
  EXPECT_FALSE(isImageIndex("application/vnd.oci.image.manifest.v1+json"));
}

}  // namespace
}  // namespace rr::shim
