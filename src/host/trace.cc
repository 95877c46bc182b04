#include "roadrunner/host/trace.h"

#include <algorithm>
#include <cstring>
#include <span>

namespace rr::host {
namespace {

thread_local TraceContext t_current;

bool nonZero(std::span<const std::uint8_t> id) {
  return std::ranges::any_of(id, [](std::uint8_t b) { return b != 0; });
}

}  // namespace

bool TraceContext::valid() const noexcept { return nonZero(trace_id) && nonZero(span_id); }

void TraceContext::write(std::span<std::byte, kWireSize> out) const noexcept {
  std::memcpy(out.data(), trace_id.data(), trace_id.size());
  std::memcpy(out.data() + trace_id.size(), span_id.data(), span_id.size());
  out[kWireSize - 1] = static_cast<std::byte>(flags);
}

TraceContext TraceContext::read(std::span<const std::byte, kWireSize> in) noexcept {
  TraceContext c;
  std::memcpy(c.trace_id.data(), in.data(), c.trace_id.size());
  std::memcpy(c.span_id.data(), in.data() + c.trace_id.size(), c.span_id.size());
  c.flags = static_cast<std::uint8_t>(in[kWireSize - 1]);
  return c;
}

const TraceContext& currentTrace() noexcept { return t_current; }

TraceScope::TraceScope(const TraceContext& context) noexcept : previous_(t_current) {
  t_current = context;
}

TraceScope::~TraceScope() { t_current = previous_; }

}  // namespace rr::host
