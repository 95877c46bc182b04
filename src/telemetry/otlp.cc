#include "roadrunner/telemetry/otlp.h"

#include <opentelemetry/exporters/otlp/otlp_http_exporter_factory.h>
#include <opentelemetry/exporters/otlp/otlp_http_exporter_options.h>
#include <opentelemetry/sdk/common/global_log_handler.h>
#include <opentelemetry/sdk/resource/resource.h>
#include <opentelemetry/sdk/trace/batch_span_processor_factory.h>
#include <opentelemetry/sdk/trace/batch_span_processor_options.h>
#include <opentelemetry/sdk/trace/tracer_provider.h>
#include <opentelemetry/sdk/trace/tracer_provider_factory.h>
#include <opentelemetry/trace/span_context.h>
#include <opentelemetry/trace/span_startoptions.h>

#include <chrono>
#include <cstring>
#include <regex>
#include <utility>

namespace rr::telemetry {
namespace {

namespace otel = opentelemetry;
namespace sdktrace = opentelemetry::sdk::trace;
namespace otlp = opentelemetry::exporter::otlp;

class OtlpSpan final : public host::Span {
 public:
  explicit OtlpSpan(otel::nostd::shared_ptr<otel::trace::Span> span) : span_(std::move(span)) {}
  ~OtlpSpan() override { span_->End(); }
  OtlpSpan(const OtlpSpan&) = delete;
  OtlpSpan& operator=(const OtlpSpan&) = delete;
  OtlpSpan(OtlpSpan&&) = delete;
  OtlpSpan& operator=(OtlpSpan&&) = delete;

  [[nodiscard]] host::TraceContext context() const noexcept override {
    const otel::trace::SpanContext c = span_->GetContext();
    host::TraceContext out;
    c.trace_id().CopyBytesTo(otel::nostd::span<std::uint8_t, 16>(out.trace_id.data(), 16));
    c.span_id().CopyBytesTo(otel::nostd::span<std::uint8_t, 8>(out.span_id.data(), 8));
    out.flags = c.trace_flags().flags();
    return out;
  }
  void set(std::string_view key, std::int64_t value) override {
    span_->SetAttribute(otel::nostd::string_view(key.data(), key.size()), value);
  }
  void set(std::string_view key, std::string_view value) override {
    span_->SetAttribute(otel::nostd::string_view(key.data(), key.size()),
                        otel::nostd::string_view(value.data(), value.size()));
  }
  void fail(std::string_view why) override {
    span_->SetStatus(otel::trace::StatusCode::kError,
                     otel::nostd::string_view(why.data(), why.size()));
  }
  void event(std::string_view name) override {
    span_->AddEvent(otel::nostd::string_view(name.data(), name.size()));
  }

 private:
  otel::nostd::shared_ptr<otel::trace::Span> span_;
};

otel::trace::SpanKind kindOf(host::SpanKind kind) {
  switch (kind) {
    case host::SpanKind::kClient:
      return otel::trace::SpanKind::kClient;
    case host::SpanKind::kServer:
      return otel::trace::SpanKind::kServer;
    case host::SpanKind::kInternal:
      break;
  }
  return otel::trace::SpanKind::kInternal;
}

class OtlpTracer final : public host::Tracer {
 public:
  explicit OtlpTracer(std::unique_ptr<sdktrace::TracerProvider> provider)
      : provider_(std::move(provider)), tracer_(provider_->GetTracer("roadrunner")) {}
  ~OtlpTracer() override {
    (void)provider_->ForceFlush(std::chrono::seconds(5));
    (void)provider_->Shutdown(std::chrono::seconds(1));
  }
  OtlpTracer(const OtlpTracer&) = delete;
  OtlpTracer& operator=(const OtlpTracer&) = delete;
  OtlpTracer(OtlpTracer&&) = delete;
  OtlpTracer& operator=(OtlpTracer&&) = delete;

  std::unique_ptr<host::Span> start(std::string_view name, host::SpanKind kind,
                                    const host::TraceContext& parent) override {
    otel::trace::StartSpanOptions options;
    options.kind = kindOf(kind);
    if (parent.valid()) {
      options.parent = otel::trace::SpanContext(
          otel::trace::TraceId(otel::nostd::span<const std::uint8_t, 16>(parent.trace_id)),
          otel::trace::SpanId(otel::nostd::span<const std::uint8_t, 8>(parent.span_id)),
          otel::trace::TraceFlags(parent.flags), /*is_remote=*/true);
    } else {
      options.parent = otel::trace::SpanContext::GetInvalid();  // a new trace
    }
    return std::make_unique<OtlpSpan>(
        tracer_->StartSpan(otel::nostd::string_view(name.data(), name.size()), options));
  }

 private:
  std::unique_ptr<sdktrace::TracerProvider> provider_;
  otel::nostd::shared_ptr<otel::trace::Tracer> tracer_;
};

}  // namespace

bool otlpAvailable() noexcept { return true; }

Result<std::unique_ptr<host::Tracer>> startOtlpTracer(const std::string& endpoint,
                                                      const std::string& service) {
  static const std::regex kHttp(R"(http://[A-Za-z0-9.\-]+:[0-9]{1,5})");
  if (!std::regex_match(endpoint, kHttp)) {
    return fail(Errc::kInvalidArgument, "traces",
                "'" + endpoint + "': expected http://HOST:PORT (an OTLP/HTTP collector)");
  }
  // The SDK's own diagnostics (a collector that is down) would write to stderr on every batch.
  otel::sdk::common::internal_log::GlobalLogHandler::SetLogLevel(
      otel::sdk::common::internal_log::LogLevel::None);
  otlp::OtlpHttpExporterOptions exporter;
  exporter.url = endpoint + "/v1/traces";
  exporter.content_type = otlp::HttpRequestContentType::kJson;
  exporter.json_bytes_mapping = otlp::JsonBytesMappingKind::kHexId;
  exporter.timeout = std::chrono::seconds(2);
  sdktrace::BatchSpanProcessorOptions batch;
  batch.max_queue_size = 2048;
  batch.schedule_delay_millis = std::chrono::milliseconds(200);
  batch.max_export_batch_size = 512;
  auto processor = sdktrace::BatchSpanProcessorFactory::Create(
      otlp::OtlpHttpExporterFactory::Create(exporter), batch);
  auto resource = otel::sdk::resource::Resource::Create({{"service.name", service}});
  std::unique_ptr<sdktrace::TracerProvider> provider(
      new sdktrace::TracerProvider(std::move(processor), resource));
  return std::make_unique<OtlpTracer>(std::move(provider));
}

}  // namespace rr::telemetry
