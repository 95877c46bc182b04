#include "roadrunner/telemetry/otlp.h"

// Built without opentelemetry-cpp (scripts/packages-telemetry.txt was not installed when the
// build was configured; bin/roadrunner installs it and configures again on first use of
// --traces): tracing is refused with the reason, everything else works.

namespace rr::telemetry {

bool otlpAvailable() noexcept { return false; }

Result<std::unique_ptr<host::Tracer>> startOtlpTracer(const std::string& endpoint,
                                                      const std::string& /*service*/) {
  return fail(Errc::kInvalidArgument, "traces",
              endpoint +
                  ": this build has no OTLP exporter (bin/roadrunner installs it on first "
                  "use of --traces; a build of your own needs scripts/packages-telemetry.txt "
                  "installed when it is configured)");
}

}  // namespace rr::telemetry
