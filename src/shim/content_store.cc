// fetchWasmModule: the walk from a container to its module layer. The gRPC calls it makes are
// in content_store_grpc.cc (or content_store_none.cc, built without gRPC).

#include "roadrunner/shim/content_store.h"

#include <sys/stat.h>

#include <cerrno>
#include <span>
#include <string>

#include "roadrunner/base/file.h"
#include "roadrunner/base/try.h"

namespace rr::shim {

Result<ContentDescriptor> fetchWasmModule(const ContentStore& store,
                                          const std::string& container_id,
                                          const std::string& out_path) {
  RR_ASSIGN_OR_RETURN(const std::string image, store.containerImage(container_id));
  RR_ASSIGN_OR_RETURN(ContentDescriptor manifest, store.imageTarget(image));
  if (isImageIndex(manifest.media_type)) {
    RR_ASSIGN_OR_RETURN(const std::string index, store.read(manifest, kMaxManifestBytes));
    RR_ASSIGN_OR_RETURN(manifest, selectManifest(index));
  }
  RR_ASSIGN_OR_RETURN(const std::string manifest_json, store.read(manifest, kMaxManifestBytes));
  RR_ASSIGN_OR_RETURN(ContentDescriptor layer, selectWasmLayer(manifest_json));
  RR_ASSIGN_OR_RETURN(const std::string module, store.read(layer, kMaxModuleBytes));
  RR_RETURN_IF_ERROR(writeFileAtomic(out_path, std::as_bytes(std::span(module))));
  if (::chmod(out_path.c_str(), 0444) != 0) {
    return failErrno("chmod", errno, out_path);
  }
  return layer;
}

}  // namespace rr::shim
