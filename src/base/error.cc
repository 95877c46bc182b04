#include "roadrunner/base/error.h"

namespace rr {
namespace {

class RoadrunnerCategory final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "roadrunner"; }
  [[nodiscard]] std::string message(int code) const override {
    switch (static_cast<Errc>(code)) {
      case Errc::kOk:
        return "success";
      case Errc::kInvalidArgument:
        return "invalid argument";
      case Errc::kNotFound:
        return "not found";
      case Errc::kNotWasm:
        return "not a WebAssembly module";
      case Errc::kInvalidModule:
        return "invalid module";
      case Errc::kMissingExport:
        return "missing export";
      case Errc::kAbiMismatch:
        return "Roadrunner ABI version mismatch";
      case Errc::kTrap:
        return "guest trapped";
      case Errc::kCacheCorrupt:
        return "corrupt AOT cache entry";
      case Errc::kMalformedConfig:
        return "malformed workflow";
      case Errc::kCycle:
        return "workflow has a cycle";
      case Errc::kTimedOut:
        return "timed out";
      case Errc::kProtocol:
        return "protocol error";
      case Errc::kExited:
        return "guest exited";
    }
    return "unknown error";
  }
};

}  // namespace

const std::error_category& roadrunnerCategory() noexcept {
  static const RoadrunnerCategory category;
  return category;
}

std::string Error::message() const {
  std::string out(op);
  if (!detail.empty()) {
    out += out.empty() ? "" : " ";
    out += detail;
  }
  out += out.empty() ? "" : ": ";
  out += code.message();
  return out;
}

}  // namespace rr
