#pragma once

// The wiring a container asks for, from its `roadrunner.io/` annotations (docs/oci.md):
//
//   roadrunner.io/role         "receiver" or "function" (default)
//   roadrunner.io/name         the name it is registered and addressed under
//   roadrunner.io/listen       receivers: "unix" (default) or "tcp:HOST:PORT"
//   roadrunner.io/targets      "NAME[=tcp:HOST:PORT],..." the functions it may send to
//   roadrunner.io/secret-file  container path of the network secret
//   roadrunner.io/interpreter  "true": WasmEdge's interpreter instead of AOT
//   roadrunner.io/allow-net    "tcp:A.B.C.D:PORT|*,..." TCP addresses the guest may use

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "roadrunner/base/error.h"

namespace rr::shim {

inline constexpr std::string_view kAnnotationPrefix = "roadrunner.io/";

struct TargetSpec {
  std::string name;
  std::string address;  ///< "tcp:HOST:PORT" where the target runs off this node, or ""
};

struct Wiring {
  bool receiver = false;
  std::string name;
  std::string listen = "unix";  ///< "unix" or "tcp:HOST:PORT"
  std::vector<TargetSpec> targets;
  std::string secret_file;  ///< container path, "" if none
  bool interpreter = false;
  /// Grants for the guest's WASI sockets, each "tcp:A.B.C.D:PORT" or "tcp:A.B.C.D:*" as
  /// NetGrant::str() writes it; empty: the guest gets no sockets.
  std::vector<std::string> allow_net;
  /// "tcp:HOST:PORT" where the function's process serves Prometheus metrics (`--metrics`), or
  /// "" for none; a receiver or a function with targets only.
  std::string metrics;
  /// "http://HOST:PORT", the OTLP/HTTP collector the function's process exports spans to
  /// (`--traces`), or "" for none; a receiver or a function with targets only.
  std::string traces;
};

/// Reads the `roadrunner.io/` annotations. `default_name` is used when there is no
/// `roadrunner.io/name` (the CRI container name, else the container id). Errors
/// (Errc::kInvalidArgument) name the annotation: an unknown key under the prefix, a bad role, a
/// name outside [A-Za-z0-9_.-]{1,64}, a listen address that is not unix or tcp:HOST:PORT, a
/// target list entry that does not parse or repeats a name, a target address that is not tcp,
/// an allow-net entry that is not a NetGrant, `listen` on a function that is not a receiver,
/// `metrics` that is not tcp:HOST:PORT or on a function with neither role receiver nor targets.
[[nodiscard]] Result<Wiring> parseWiring(const std::map<std::string, std::string>& annotations,
                                         const std::string& default_name);

}  // namespace rr::shim
