// Streams across the SDKs: `roadrunner up` runs a stream sender in one language (Rust, Go, or C++
// through roadrunner.hpp) against a sink in another, over every edge mode. The senders write the
// same pattern (byte j of chunk i is (i*131 + j*7) & 0xff) and the sinks print the FNV-1a 64 of
// what arrived, which the test computes on its own; aborts, unclosed streams and a failing sink
// show as the statuses the ABI promises.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../testing/subprocess.h"

namespace rr {
namespace {

// What the sinks print for `chunks` chunks of `size` bytes of the senders' pattern.
std::string patternFnv(std::uint64_t chunks, std::uint64_t size) {
  std::uint64_t h = 1469598103934665603ULL;
  for (std::uint64_t i = 0; i < chunks; ++i) {
    for (std::uint64_t j = 0; j < size; ++j) {
      h = (h ^ ((i * 131 + j * 7) & 0xffU)) * 1099511628211ULL;
    }
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return text;
}

struct Guest {
  const char* language;
  const char* wasm;
};
const Guest kRustSender{"rust", RR_GUEST_RUST_STREAM_SENDER};
const Guest kGoSender{"go", RR_GUEST_GO_STREAM_SENDER};
const Guest kCppSender{"c++", RR_GUEST_CPP_STREAM_SENDER};
const Guest kRustSink{"rust", RR_GUEST_RUST_STREAM_SINK};
const Guest kGoSink{"go", RR_GUEST_GO_STREAM_SINK};

// Two shapes: chunks just over a kernel edge's 64 KiB mailbox, and chunks of an odd size past its
// 1 MiB memfd threshold.
struct Shape {
  std::uint64_t chunks;
  std::uint64_t size;
};
constexpr Shape kShapes[] = {{5, 65537}, {2, 1200001}};

// The edge mode is the parameter.
class StreamSdkTest : public ::testing::TestWithParam<std::string> {
 protected:
  // `roadrunner up` of sender -> sink; the sender runs `sink CHUNKS SIZE [how]`.
  testing::Outcome up(const Guest& sender, const Guest& sink, Shape shape,
                      const std::string& how = "", const nlohmann::json& sink_env = {}) {
    nlohmann::json args = {"sink", std::to_string(shape.chunks), std::to_string(shape.size)};
    if (!how.empty()) {
      args.push_back(how);
    }
    nlohmann::json sink_spec = {{"wasm", sink.wasm}};
    if (!sink_env.is_null()) {
      sink_spec["env"] = sink_env;
    }
    const nlohmann::json flow = {
        {"functions", {{"sender", {{"wasm", sender.wasm}, {"args", args}}}, {"sink", sink_spec}}},
        {"edges", {{{"from", "sender"}, {"to", "sink"}, {"mode", GetParam()}}}}};
    testing::writeText(dir_.file("flow.json"), flow.dump());
    // -O 0: the Go modules compile some ten times faster, and speed is not what is tested here.
    return testing::run({RR_CLI, "up", dir_.file("flow.json"), "-O", "0"},
                        {"RR_CACHE_DIR=" + std::string(RR_BINARY_DIR) + "/test-aot-cache"});
  }

  // `shape` from `sender` arrives at `sink` whole: the sink's hash is the pattern's. `how`: the
  // sender's way of writing and ending ("move": every chunk handed over).
  testing::Outcome expectWholeStream(const Guest& sender, const Guest& sink, Shape shape,
                                     const std::string& how = "",
                                     const nlohmann::json& sink_env = {}) {
    const std::string bytes = std::to_string(shape.chunks * shape.size);
    SCOPED_TRACE(std::string(sender.language) + " " + how + " -> " + sink.language + ", " + bytes +
                 " bytes");
    testing::Outcome o = up(sender, sink, shape, how, sink_env);
    EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
    EXPECT_NE(o.out.find("sender | stream status=ok chunks=" + std::to_string(shape.chunks) +
                         " bytes=" + bytes + "\n"),
              std::string::npos)
        << o.out;
    EXPECT_NE(o.out.find("sink | sink stream end bytes=" + bytes +
                         " fnv=" + patternFnv(shape.chunks, shape.size) + "\n"),
              std::string::npos)
        << o.out;
    return o;
  }

  // Every shape from `sender` arrives at `sink` whole.
  void expectWholeStreams(const Guest& sender, const Guest& sink, const std::string& how = "") {
    for (const Shape shape : kShapes) {
      expectWholeStream(sender, sink, shape, how);
    }
  }

  // `sender` ends its stream as `how` says; the sink hears an abort with `status` after every
  // byte, and never an end.
  void expectAbort(const Guest& sender, const Guest& sink, const std::string& how, int status) {
    SCOPED_TRACE(std::string(sender.language) + " " + how + " -> " + sink.language);
    const Shape shape = kShapes[0];
    const std::string bytes = std::to_string(shape.chunks * shape.size);
    const testing::Outcome o = up(sender, sink, shape, how);
    EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
    EXPECT_NE(o.out.find("sender | stream status=ok chunks=" + std::to_string(shape.chunks) +
                         " bytes=" + bytes + "\n"),
              std::string::npos)
        << o.out;
    EXPECT_NE(o.out.find("sink | sink stream abort status=" + std::to_string(status) +
                         " bytes=" + bytes + "\n"),
              std::string::npos)
        << o.out;
    EXPECT_EQ(o.out.find("sink stream end"), std::string::npos) << o.out;
  }

  testing::TempDir dir_;
};

TEST_P(StreamSdkTest, RustSenderToGoSinkKeepsEveryByte) {
  expectWholeStreams(kRustSender, kGoSink);
}

TEST_P(StreamSdkTest, GoSenderToRustSinkKeepsEveryByte) {
  expectWholeStreams(kGoSender, kRustSink);
}

// stream_write_move from each SDK's move buffer: the sink gets every byte, and each sender finds
// its buffer reading zeros after every write (it exits 9 otherwise).
TEST_P(StreamSdkTest, MovedChunksFromEverySdkArriveWholeAndLeaveZeros) {
  for (const Guest& sender : {kCppSender, kRustSender, kGoSender}) {
    expectWholeStreams(sender, kRustSink, "move");
  }
}

// stream_try_write from each SDK to a sink that sleeps 10 ms after each chunk (long enough that a
// sender slowed by a loaded machine still comes back before it ends): a sender finds the sink
// busy (RR_EWOULDBLOCK, which it counts), does some 100 µs of other work and writes the same
// chunk again. The sink still gets every byte exactly once, and every sender was turned away at
// least once, so the retries were real.
TEST_P(StreamSdkTest, TryWritesFromEverySdkRetryABusySinkAndKeepEveryByte) {
  constexpr Shape kTryShapes[] = {{48, 65537}, {3, 1200001}};
  for (const Guest& sender : {kCppSender, kRustSender, kGoSender}) {
    long would_blocks = 0;
    for (const Shape shape : kTryShapes) {
      SCOPED_TRACE(std::string(sender.language) + " try, " + std::to_string(shape.chunks) +
                   " chunks");
      const testing::Outcome o =
          expectWholeStream(sender, kRustSink, shape, "try", {{"SINK_SLOW_MS", "10"}});
      const std::string key = "sender | stream would_blocks=";
      const auto at = o.out.find(key);
      ASSERT_NE(at, std::string::npos) << o.out;
      would_blocks += std::strtol(o.out.c_str() + at + key.size(), nullptr, 10);
    }
    RecordProperty(std::string(sender.language) + "_would_blocks", std::to_string(would_blocks));
    EXPECT_GT(would_blocks, 0) << sender.language
                               << " never found the slow sink busy: its try-writes waited";
  }
}

TEST_P(StreamSdkTest, CppSenderKeepsEveryByteToRustAndGoSinks) {
  expectWholeStreams(kCppSender, kRustSink);
  expectWholeStreams(kCppSender, kGoSink);
}

// stream_close with a code reaches the other language's handler as that code.
TEST_P(StreamSdkTest, AnAbortCodeReachesTheOtherLanguagesSink) {
  expectAbort(kRustSender, kGoSink, "abort:42", 42);
  expectAbort(kGoSender, kRustSink, "abort:43", 43);
  expectAbort(kCppSender, kGoSink, "abort:44", 44);
}

// A stream its sender never closed (dropped by the SDK's destructor, or still open when the
// instance ends) reaches the sink as an abort with RR_EUNAVAILABLE (11), never as an end.
TEST_P(StreamSdkTest, AnUnclosedStreamReachesTheSinkAsUnavailable) {
  expectAbort(kRustSender, kGoSink, "drop", 11);
  expectAbort(kRustSender, kGoSink, "leak", 11);
  expectAbort(kGoSender, kRustSink, "leak", 11);
  expectAbort(kCppSender, kRustSink, "drop", 11);
  expectAbort(kCppSender, kRustSink, "leak", 11);
}

// A sink whose handler fails the second chunk fails the stream: the sender's SDK hears "handler
// error" (RR_EHANDLER) from a later write or from close, and stops short of the last chunk.
TEST_P(StreamSdkTest, ASinksFailureReachesTheOtherLanguagesSender) {
  for (const auto& [sender, sink] :
       {std::pair{kRustSender, kGoSink}, {kGoSender, kRustSink}, {kCppSender, kGoSink}}) {
    SCOPED_TRACE(std::string(sender.language) + " -> " + sink.language);
    const testing::Outcome o = up(sender, sink, {8, 4096}, "", {{"SINK_FAIL_AT", "2"}});
    EXPECT_EQ(o.exit_code, 1) << o.out << o.err;
    EXPECT_NE(o.out.find("sender | stream status=handler error chunks="), std::string::npos)
        << o.out;
    EXPECT_EQ(o.out.find("chunks=8 "), std::string::npos)
        << "a failure sticks: no write after it succeeds\n"
        << o.out;
    EXPECT_EQ(o.out.find("sink stream end"), std::string::npos) << o.out;
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, StreamSdkTest, ::testing::Values("embedded", "kernel", "network"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace rr
