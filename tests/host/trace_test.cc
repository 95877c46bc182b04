// TraceContext on the wire and the calling thread's current context.

#include "roadrunner/host/trace.h"

#include <array>
#include <thread>

#include <gtest/gtest.h>

namespace rr::host {
namespace {

TraceContext sample() {
  TraceContext c;
  for (std::size_t i = 0; i < c.trace_id.size(); ++i) {
    c.trace_id[i] = static_cast<std::uint8_t>(0xA0 + i);
  }
  for (std::size_t i = 0; i < c.span_id.size(); ++i) {
    c.span_id[i] = static_cast<std::uint8_t>(0x10 + i);
  }
  c.flags = 1;
  return c;
}

TEST(TraceContextTest, RoundTripsThroughItsTwentyFiveWireBytes) {
  std::array<std::byte, TraceContext::kWireSize> wire{};
  sample().write(wire);
  const TraceContext back = TraceContext::read(wire);
  EXPECT_EQ(back.trace_id, sample().trace_id);
  EXPECT_EQ(back.span_id, sample().span_id);
  EXPECT_EQ(back.flags, 1);
  EXPECT_TRUE(back.valid());
}

TEST(TraceContextTest, AZeroIdFromAPeerIsNotAValidParent) {
  TraceContext no_trace = sample();
  no_trace.trace_id = {};
  TraceContext no_span = sample();
  no_span.span_id = {};
  EXPECT_FALSE(no_trace.valid());
  EXPECT_FALSE(no_span.valid());
  EXPECT_FALSE(TraceContext{}.valid());
}

TEST(TraceScopeTest, ScopesNestAndEachThreadHasItsOwn) {
  EXPECT_FALSE(currentTrace().valid());
  {
    const TraceScope outer(sample());
    EXPECT_EQ(currentTrace().span_id, sample().span_id);
    TraceContext inner_context = sample();
    inner_context.span_id[0] = 0xFF;
    {
      const TraceScope inner(inner_context);
      EXPECT_EQ(currentTrace().span_id[0], 0xFF);
      bool other_thread_saw_one = true;
      std::thread([&] { other_thread_saw_one = currentTrace().valid(); }).join();
      EXPECT_FALSE(other_thread_saw_one);
    }
    EXPECT_EQ(currentTrace().span_id, sample().span_id) << "the outer scope's again";
  }
  EXPECT_FALSE(currentTrace().valid());
}

}  // namespace
}  // namespace rr::host
