#include "roadrunner/host/imports.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace rr::host {
namespace {

// An endpoint that records what it got and replies with a fixed text.
class RecordingEndpoint final : public Endpoint {
 public:
  void deliverAsync(const Delivery& d, Completion& completion) override {
    source = std::string(d.source);
    payload.assign(d.payload.begin(), d.payload.end());
    DeliveryResult result{.status = Status::kOk, .reply_len = 0, .copied_bytes = d.size()};
    result.reply_len = static_cast<std::uint32_t>(reply_text.size());
    if (d.reply.empty()) {
      // no reply wanted: discarded, as the real endpoints do
    } else if (reply_text.size() > d.reply.size()) {
      result.status = Status::kReplyTooLarge;
    } else {
      std::memcpy(d.reply.data(), reply_text.data(), reply_text.size());
    }
    ++calls;
    trace = d.trace;
    completion.done(result);
  }
  bool readyForChunk(std::uint64_t /*stream_id*/) override { return ready; }
  bool ready = true;  // what readyForChunk says
  std::string source;
  std::vector<std::byte> payload;
  std::string reply_text = "pong";
  int calls = 0;
  TraceContext trace;
};

class ImportsTest : public ::testing::Test {
 protected:
  ImportsTest() : memory_(65536) {
    router_.addEndpoint("b", &b_);
    router_.allow("a", "b");
    router_.addEndpoint("c", &c_);  // exists, but a may not send to it
  }
  std::uint32_t put(std::uint32_t offset, const std::string& s) {
    std::memcpy(memory_.data() + offset, s.data(), s.size());
    return offset;
  }
  Status send(std::uint32_t target, std::uint32_t target_len, std::uint32_t buf, std::uint32_t len,
              std::uint32_t reply = 0, std::uint32_t cap = 0, std::uint32_t reply_len_out = 0) {
    return imports_.send(memory_, {target, target_len, buf, len, reply, cap, reply_len_out});
  }

  std::vector<std::byte> memory_;
  Router router_;
  TransferStats stats_;
  RecordingEndpoint b_;
  RecordingEndpoint c_;
  Imports imports_{"a", &router_, &stats_};
};

TEST_F(ImportsTest, DeliversPayloadAndSourceName) {
  put(100, "b");
  put(200, "hello");
  EXPECT_EQ(send(100, 1, 200, 5), Status::kOk);
  EXPECT_EQ(b_.source, "a");
  ASSERT_EQ(b_.payload.size(), 5U);
  EXPECT_EQ(std::memcmp(b_.payload.data(), "hello", 5), 0);
  EXPECT_EQ(stats_.bytes.load(), 5U);
  EXPECT_EQ(stats_.copies.load(), 1U);
}

TEST_F(ImportsTest, WritesReplyAndItsLength) {
  put(100, "b");
  EXPECT_EQ(send(100, 1, 200, 0, 300, 16, 400), Status::kOk);
  std::uint32_t reply_len = 0;
  std::memcpy(&reply_len, memory_.data() + 400, 4);
  EXPECT_EQ(reply_len, 4U);
  EXPECT_EQ(std::memcmp(memory_.data() + 300, "pong", 4), 0);
}

TEST_F(ImportsTest, ReportsReplyThatDoesNotFitWithItsFullLength) {
  put(100, "b");
  EXPECT_EQ(send(100, 1, 200, 0, 300, 2, 400), Status::kReplyTooLarge);
  std::uint32_t reply_len = 0;
  std::memcpy(&reply_len, memory_.data() + 400, 4);
  EXPECT_EQ(reply_len, 4U);
}

TEST_F(ImportsTest, UnknownTargetIsAStatus) {
  put(100, "zz");
  EXPECT_EQ(send(100, 2, 200, 5), Status::kUnknownTarget);
  EXPECT_EQ(b_.calls, 0);
}

TEST_F(ImportsTest, UndeclaredTargetIsRefused) {
  put(100, "c");
  EXPECT_EQ(send(100, 1, 200, 5), Status::kNotAllowed);
  EXPECT_EQ(c_.calls, 0);
}

TEST_F(ImportsTest, NameThatExistsWithoutAnEndpointHereIsNotAllowedNotUnknown) {
  router_.declare("a");  // the sender itself, as a served function's router knows it
  router_.declare("d");  // a receiver elsewhere in the workflow
  for (const std::string name : {"a", "d"}) {
    put(100, name);
    EXPECT_EQ(send(100, 1, 200, 5), Status::kNotAllowed) << name;
  }
  put(100, "e");
  EXPECT_EQ(send(100, 1, 200, 5), Status::kUnknownTarget) << "never declared";
}

TEST_F(ImportsTest, OutOfBoundsPointersAreFaultsNotDeliveries) {
  put(100, "b");
  EXPECT_EQ(send(100, 1, 65530, 100), Status::kFault);              // payload
  EXPECT_EQ(send(65535, 2, 0, 0), Status::kFault);                  // target name
  EXPECT_EQ(send(100, 1, 0, 0, 65530, 100), Status::kFault);        // reply buffer
  EXPECT_EQ(send(100, 1, 0, 0, 0, 0, 65534), Status::kFault);       // reply length
  EXPECT_EQ(send(100, 1, UINT32_MAX, UINT32_MAX), Status::kFault);  // wraps around
  EXPECT_EQ(b_.calls, 0);
  EXPECT_EQ(stats_.failures.load(), 5U);
}

TEST_F(ImportsTest, EmptyOrHugeTargetNameIsInvalid) {
  EXPECT_EQ(send(100, 0, 0, 0), Status::kInvalid);
  EXPECT_EQ(send(100, kMaxTargetName + 1, 0, 0), Status::kInvalid);
}

TEST_F(ImportsTest, ReplyOutsideAHandlerIsRefused) {
  EXPECT_EQ(imports_.reply(memory_, 0, 4), Status::kNoReplyContext);
}

TEST_F(ImportsTest, ReplyInsideAHandlerCopiesIntoTheSendersBuffer) {
  std::vector<std::byte> sender_reply(8);
  imports_.beginReply(sender_reply);
  put(10, "abc");
  EXPECT_EQ(imports_.reply(memory_, 10, 3), Status::kOk);
  const auto outcome = imports_.endReply();
  EXPECT_EQ(outcome.len, 3U);
  EXPECT_TRUE(outcome.fit);
  EXPECT_EQ(std::memcmp(sender_reply.data(), "abc", 3), 0);
}

TEST_F(ImportsTest, FanOutGroupReachesEveryMember) {
  RecordingEndpoint w1;
  RecordingEndpoint w2;
  router_.addEndpoint("w", &w1);
  router_.addEndpoint("w", &w2);
  router_.allow("a", "w");
  put(100, "w");
  EXPECT_EQ(send(100, 1, 200, 3), Status::kOk);
  EXPECT_EQ(w1.calls, 1);
  EXPECT_EQ(w2.calls, 1);
  EXPECT_EQ(send(100, 1, 200, 3, 300, 8), Status::kInvalid);  // one buffer, many replies
}

// An endpoint whose delivery copies the payload once and then fails (a receiver that went away
// after the sender's copy into a memfd, say).
class FailingAfterACopyEndpoint final : public Endpoint {
 public:
  void deliverAsync(const Delivery& d, Completion& completion) override {
    completion.done({.status = Status::kUnavailable, .copied_bytes = d.size()});
  }
};

TEST_F(ImportsTest, FailedDeliveryCountsTheCopiesItMadeOnce) {
  FailingAfterACopyEndpoint broken;
  router_.addEndpoint("x", &broken);
  router_.allow("a", "x");
  put(100, "x");
  EXPECT_EQ(send(100, 1, 200, 3), Status::kUnavailable);
  EXPECT_EQ(stats_.copies.load(), 1U) << "one copy made, one counted";
}

TEST_F(ImportsTest, FanOutWithOneFailureCountsEveryMembersCopies) {
  FailingAfterACopyEndpoint w1;
  RecordingEndpoint w2;
  FailingAfterACopyEndpoint w3;
  router_.addEndpoint("w", &w1);
  router_.addEndpoint("w", &w2);
  router_.addEndpoint("w", &w3);
  router_.allow("a", "w");
  put(100, "w");
  EXPECT_EQ(send(100, 1, 200, 3), Status::kUnavailable) << "the failure wins";
  EXPECT_EQ(stats_.copies.load(), 3U) << "one copy per member, each counted once";
}

// A tracer that keeps what it was asked for.
struct RecordedSpan {
  std::string name;
  SpanKind kind = SpanKind::kInternal;
  TraceContext parent;
  TraceContext self;
  std::map<std::string, std::string, std::less<>> attributes;
  std::vector<std::string> events;
  bool ended = false;
};
class RecordingTracer final : public Tracer {
 public:
  class Recorded final : public Span {
   public:
    explicit Recorded(RecordedSpan& r) : r_(r) {}
    ~Recorded() override { r_.ended = true; }
    Recorded(const Recorded&) = delete;
    Recorded& operator=(const Recorded&) = delete;
    Recorded(Recorded&&) = delete;
    Recorded& operator=(Recorded&&) = delete;
    [[nodiscard]] TraceContext context() const noexcept override { return r_.self; }
    void set(std::string_view key, std::int64_t value) override {
      r_.attributes[std::string(key)] = std::to_string(value);
    }
    void set(std::string_view key, std::string_view value) override {
      r_.attributes[std::string(key)] = std::string(value);
    }
    void fail(std::string_view why) override { r_.attributes["error"] = std::string(why); }
    void event(std::string_view name) override { r_.events.emplace_back(name); }

   private:
    RecordedSpan& r_;
  };
  std::unique_ptr<Span> start(std::string_view name, SpanKind kind,
                              const TraceContext& parent) override {
    auto& r = spans.emplace_back();
    r.name = std::string(name);
    r.kind = kind;
    r.parent = parent;
    r.self.trace_id.fill(0x11);
    r.self.span_id.fill(static_cast<std::uint8_t>(spans.size()));
    return std::make_unique<Recorded>(r);
  }
  std::deque<RecordedSpan> spans;
};

// The context of a handler run the calling thread is in: the parent of what it sends.
TraceContext handlerContext() {
  TraceContext handler;
  handler.trace_id.fill(0x22);
  handler.span_id.fill(0x33);
  return handler;
}

TEST_F(ImportsTest, ATracedSendIsAClientSpanWhoseContextTravelsWithTheDelivery) {
  RecordingTracer tracer;
  imports_.setTracer(&tracer);
  const TraceContext handler = handlerContext();
  const TraceScope in_handler(handler);
  put(100, "b");
  ASSERT_EQ(send(100, 1, 200, 64), Status::kOk);
  ASSERT_EQ(tracer.spans.size(), 1U);
  const RecordedSpan& span = tracer.spans[0];
  EXPECT_EQ(span.name, "roadrunner.send");
  EXPECT_EQ(span.kind, SpanKind::kClient);
  EXPECT_EQ(span.parent.span_id, handler.span_id) << "the thread's context is the parent";
  EXPECT_EQ(b_.trace.span_id, span.self.span_id) << "the receiver's parent is the send";
  EXPECT_TRUE(span.ended);
  EXPECT_EQ(span.attributes.at("roadrunner.target"), "b");
  EXPECT_EQ(span.attributes.at("roadrunner.bytes"), "64");
  EXPECT_EQ(span.attributes.at("roadrunner.copies"), "1");
  EXPECT_EQ(span.attributes.at("roadrunner.status"), "ok");
  put(300, "c");  // not allowed: no delivery, so no span
  EXPECT_EQ(send(300, 1, 200, 64), Status::kNotAllowed);
  EXPECT_EQ(tracer.spans.size(), 1U);
}

// stream_write_move: the chunk's bytes read as zeros afterwards with every status but kFault,
// delivered (a receiver that copied them) or not (a handle that is not open); a range outside
// memory is kFault and nothing in memory changes.
TEST_F(ImportsTest, AMovedChunkLeavesZerosWithEveryStatusButAFault) {
  const auto zeros = [&](std::uint32_t at, std::uint32_t len) {
    return std::all_of(memory_.begin() + at, memory_.begin() + at + len,
                       [](std::byte b) { return b == std::byte{0}; });
  };
  put(100, "b");
  ASSERT_EQ(imports_.streamOpen(memory_, 100, 1, 300), Status::kOk);
  std::uint32_t stream = 0;
  std::memcpy(&stream, memory_.data() + 300, 4);
  put(200, "chunk of 16 byte");
  EXPECT_EQ(imports_.streamWrite(memory_, stream, 200, 16, Imports::SendKind::kMove), Status::kOk);
  ASSERT_EQ(b_.payload.size(), 16U);
  EXPECT_EQ(std::memcmp(b_.payload.data(), "chunk of 16 byte", 16), 0) << "delivered first";
  EXPECT_TRUE(zeros(200, 16)) << "then cleared: the receiver copied it";
  put(200, "chunk of 16 byte");
  EXPECT_EQ(imports_.streamWrite(memory_, 9, 200, 16, Imports::SendKind::kMove), Status::kInvalid);
  EXPECT_TRUE(zeros(200, 16)) << "not delivered, cleared all the same";
  put(65530, "tail!!");
  EXPECT_EQ(imports_.streamWrite(memory_, stream, 65530, 16, Imports::SendKind::kMove),
            Status::kFault);
  EXPECT_EQ(std::memcmp(memory_.data() + 65530, "tail!!", 6), 0) << "a fault changes nothing";
  EXPECT_EQ(imports_.streamClose(stream, 0), Status::kOk);
}

TEST_F(ImportsTest, ATryWriteToABusyReceiverSendsNothingAndLeavesTheStreamAsItWas) {
  put(100, "b");
  ASSERT_EQ(imports_.streamOpen(memory_, 100, 1, 300), Status::kOk);
  std::uint32_t stream = 0;
  std::memcpy(&stream, memory_.data() + 300, 4);
  put(200, "first");
  b_.ready = false;
  EXPECT_EQ(imports_.streamWrite(memory_, stream, 200, 5, Imports::SendKind::kTry),
            Status::kWouldBlock);
  EXPECT_EQ(b_.calls, 0) << "nothing delivered";
  EXPECT_EQ(imports_.streamWrite(memory_, 9, 200, 5, Imports::SendKind::kTry), Status::kInvalid);
  EXPECT_EQ(imports_.streamWrite(memory_, stream, 65530, 16, Imports::SendKind::kTry),
            Status::kFault);
  b_.ready = true;
  EXPECT_EQ(imports_.streamWrite(memory_, stream, 200, 5, Imports::SendKind::kTry), Status::kOk);
  ASSERT_EQ(b_.calls, 1);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(b_.payload.data()), b_.payload.size()),
            "first");
  EXPECT_EQ(stats_.sends.load(), 1U) << "a refused write is not a send";
  EXPECT_EQ(imports_.streamClose(stream, 0), Status::kOk);
}

TEST_F(ImportsTest, ATracedStreamIsOneClientSpanWhoseContextEveryEventCarries) {
  RecordingTracer tracer;
  imports_.setTracer(&tracer);
  const TraceContext handler = handlerContext();
  const TraceScope in_handler(handler);
  put(100, "b");
  put(200, "chunk of 16 byte");
  ASSERT_EQ(imports_.streamOpen(memory_, 100, 1, 300), Status::kOk);
  std::uint32_t stream = 0;
  std::memcpy(&stream, memory_.data() + 300, 4);
  ASSERT_EQ(tracer.spans.size(), 1U);
  const RecordedSpan& span = tracer.spans[0];
  EXPECT_EQ(span.name, "roadrunner.stream");
  EXPECT_EQ(span.kind, SpanKind::kClient);
  EXPECT_EQ(span.parent.span_id, handler.span_id) << "the thread's context is the parent";
  for (int i = 0; i < 3; ++i) {
    b_.trace = {};
    ASSERT_EQ(imports_.streamWrite(memory_, stream, 200, 16), Status::kOk);
    EXPECT_EQ(b_.trace.span_id, span.self.span_id) << "chunk " << i << " carries the span";
  }
  EXPECT_FALSE(span.ended);
  b_.trace = {};
  ASSERT_EQ(imports_.streamClose(stream, 0), Status::kOk);
  EXPECT_EQ(b_.trace.span_id, span.self.span_id) << "the end carries it too";
  EXPECT_TRUE(span.ended);
  EXPECT_EQ(span.attributes.at("roadrunner.target"), "b");
  EXPECT_EQ(span.attributes.at("roadrunner.bytes"), "48");
  EXPECT_EQ(span.attributes.at("roadrunner.chunks"), "3");
  EXPECT_EQ(span.attributes.at("roadrunner.status"), "ok");
  EXPECT_FALSE(span.attributes.contains("error"));

  // An abort fails the span with the guest's code; a stream left open fails as unavailable.
  ASSERT_EQ(imports_.streamOpen(memory_, 100, 1, 300), Status::kOk);
  std::memcpy(&stream, memory_.data() + 300, 4);
  ASSERT_EQ(imports_.streamClose(stream, 77), Status::kOk);
  EXPECT_EQ(tracer.spans[1].attributes.at("roadrunner.abort_status"), "77");
  EXPECT_EQ(tracer.spans[1].attributes.at("error"), "aborted");
  ASSERT_EQ(imports_.streamOpen(memory_, 100, 1, 300), Status::kOk);
  imports_.abortStreams();
  EXPECT_TRUE(tracer.spans[2].ended);
  EXPECT_EQ(tracer.spans[2].attributes.at("roadrunner.status"), statusName(Status::kUnavailable));
  EXPECT_EQ(tracer.spans[2].attributes.at("error"), statusName(Status::kUnavailable));
}

TEST_F(ImportsTest, WithoutATracerNoContextTravels) {
  put(100, "b");
  ASSERT_EQ(send(100, 1, 200, 64), Status::kOk);
  EXPECT_FALSE(b_.trace.valid());
}

TEST_F(ImportsTest, SpanEventsHaveTheSameStatusesTracedOrNot) {
  for (const bool traced : {false, true}) {
    RecordingTracer tracer;
    std::unique_ptr<Span> span = tracer.start("roadrunner.handle", SpanKind::kServer, {});
    imports_.setSpan(traced ? span.get() : nullptr);
    imports_.beginReply({});  // a handler run starts: a fresh budget
    put(100, "ok_event");
    put(200, "bad event");
    EXPECT_EQ(imports_.spanEvent(memory_, 100, 8), Status::kOk);
    EXPECT_EQ(imports_.spanEvent(memory_, 200, 9), Status::kInvalid);
    EXPECT_EQ(imports_.spanEvent(memory_, 100, 0), Status::kInvalid);
    EXPECT_EQ(imports_.spanEvent(memory_, 65530, 8), Status::kFault);
    EXPECT_EQ(imports_.spanEvent(memory_, 0xFFFFFFF0U, 32), Status::kFault);
    for (std::uint32_t i = 1; i < Imports::kMaxSpanEvents; ++i) {
      EXPECT_EQ(imports_.spanEvent(memory_, 100, 8), Status::kOk);
    }
    EXPECT_EQ(imports_.spanEvent(memory_, 100, 8), Status::kNoMemory);
    (void)imports_.endReply();
    imports_.beginReply({});
    EXPECT_EQ(imports_.spanEvent(memory_, 100, 8), Status::kOk) << "the next run's own budget";
    (void)imports_.endReply();
    imports_.setSpan(nullptr);
    EXPECT_EQ(tracer.spans[0].events.size(), traced ? Imports::kMaxSpanEvents + 1 : 0U);
  }
}

}  // namespace
}  // namespace rr::host
