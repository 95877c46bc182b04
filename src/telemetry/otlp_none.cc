#include "roadrunner/telemetry/otlp.h"

// Built without opentelemetry-cpp (scripts/packages-telemetry.txt was not installed when the
// build was configured): tracing is refused with the reason, everything else works.

namespace rr::telemetry {

bool otlpAvailable() noexcept { return false; }

Result<std::unique_ptr<host::Tracer>> startOtlpTracer(const std::string& endpoint,
                                                      const std::string& /*service*/) {
  return fail(Errc::kInvalidArgument, "traces",
              endpoint +
                  ": this build has no OTLP exporter (install opentelemetry-cpp-dev, "
                  "scripts/packages-telemetry.txt, and build again)");
}

}  // namespace rr::telemetry
