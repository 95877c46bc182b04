// Fuzzes what the containerd shim reads from outside: ttrpc frames (any bytes in, a frame, "need
// more" or an error out, never a crash; a decoded header re-encodes to the same bytes), and the
// same bytes as a bundle's config.json and as roadrunner.io/ annotations.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <span>
#include <string>

#include "roadrunner/base/names.h"
#include "roadrunner/shim/annotations.h"
#include "roadrunner/shim/bundle.h"
#include "roadrunner/shim/ttrpc_frame.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = std::as_bytes(std::span(data, size));
  auto frame = rr::shim::nextTtrpcFrame(in);
  if (frame && frame->has_value()) {
    const auto& f = **frame;
    if (rr::shim::kTtrpcHeaderSize + f.header.length > size ||
        f.payload.size() != f.header.length) {
      __builtin_trap();  // a payload that does not lie inside the buffer
    }
    const auto again = rr::shim::encodeTtrpcHeader(f.header);
    if (std::memcmp(again.data(), data, again.size()) != 0) {
      __builtin_trap();  // decode and encode disagree
    }
  }
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (auto spec = rr::shim::parseBundleConfig(text); spec) {
    if (spec->args.empty()) {
      __builtin_trap();  // a parsed bundle always names its module
    }
    (void)rr::shim::modulePath(*spec, "/rootfs");
    (void)rr::shim::cgroupPath(spec->cgroups_path);
  }
  // KEY=VALUE lines as annotations.
  std::map<std::string, std::string> annotations;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string line = text.substr(start, end - start);
    if (const auto eq = line.find('='); eq != std::string::npos) {
      annotations["roadrunner.io/" + line.substr(0, eq)] = line.substr(eq + 1);
    }
    start = end + 1;
  }
  if (auto wiring = rr::shim::parseWiring(annotations, "fuzz"); wiring) {
    if (!rr::validFunctionName(wiring->name)) {
      __builtin_trap();
    }
  }
  return 0;
}
