#pragma once

// The one place that knows OpenTelemetry: a host::Tracer that exports over OTLP/HTTP.

#include <memory>
#include <string>

#include "roadrunner/base/error.h"
#include "roadrunner/host/trace.h"

namespace rr::telemetry {

/// Whether this build has the OTLP exporter (opentelemetry-cpp was found when it was configured).
[[nodiscard]] bool otlpAvailable() noexcept;

/// A Tracer whose spans are batched on a thread of its own and posted as OTLP/HTTP JSON to
/// `endpoint` + "/v1/traces" (`endpoint`: http://HOST:PORT, as an OpenTelemetry collector
/// listens), each under the resource service.name = `service`. A collector that is down or slow
/// loses spans, never holds a transfer up: the queue is bounded (2,048 spans; more are dropped)
/// and each export gives up after 2 s. Destroying the tracer exports what is queued (at most 5 s).
/// Errors: kInvalidArgument for an endpoint that is not http://HOST:PORT, or a build without the
/// exporter.
[[nodiscard]] Result<std::unique_ptr<host::Tracer>> startOtlpTracer(const std::string& endpoint,
                                                                    const std::string& service);

}  // namespace rr::telemetry
