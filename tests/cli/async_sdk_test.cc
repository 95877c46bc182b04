// Asynchronous sends across the SDKs: `roadrunner up` runs a sender in Rust, Go or C++ (through
// roadrunner.hpp) that keeps up to eight sends pending with its SDK's send_async, against the C
// receiver tests/guests/pattern_receiver.c, over every edge mode. Payload i is i and then a
// pattern seeded by i, from eight buffers that the senders refill once a send is waited for; the
// receiver checks every byte (a wrong one fails its handler, which the sender's wait reports) and
// prints each index it took, and the test wants each index exactly once. So a wait on the wrong
// ticket, a buffer refilled before its send was done, or a drop that does not wait shows as a
// status, a missing or repeated index, or a ninth start without room.

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../testing/subprocess.h"

namespace rr {
namespace {

struct Guest {
  const char* language;
  const char* wasm;
};
const Guest kRustSender{"rust", RR_GUEST_RUST_ASYNC_SENDER};
const Guest kGoSender{"go", RR_GUEST_GO_ASYNC_SENDER};
const Guest kCppSender{"c++", RR_GUEST_CPP_ASYNC_SENDER};

// Two shapes: payloads just over a kernel edge's 64 KiB mailbox, and payloads of an odd size past
// its 1 MiB memfd threshold; neither count is a multiple of eight.
struct Shape {
  std::uint64_t count;
  std::uint64_t size;
};
constexpr Shape kShapes[] = {{21, 65537}, {11, 1200001}};
constexpr Shape kSmall{19, 4096};

// The edge mode is the parameter.
class AsyncSdkTest : public ::testing::TestWithParam<std::string> {
 protected:
  // `roadrunner up` of sender -> sink; the sender runs `sink COUNT SIZE HOW`. The sink takes
  // 2 ms a message, so sends stay pending while the sender runs on.
  testing::Outcome up(const Guest& sender, Shape shape, const std::string& how) {
    const nlohmann::json args = {"sink", std::to_string(shape.count), std::to_string(shape.size),
                                 how};
    const nlohmann::json flow = {
        {"functions",
         {{"sender", {{"wasm", sender.wasm}, {"args", args}}},
          {"sink",
           {{"wasm", RR_GUEST_PATTERN_RECEIVER}, {"env", {{"PRINT", "1"}, {"SLOW_MS", "2"}}}}}}},
        {"edges", {{{"from", "sender"}, {"to", "sink"}, {"mode", GetParam()}}}}};
    testing::writeText(dir_.file("flow.json"), flow.dump());
    // -O 0: the Go modules compile some ten times faster, and speed is not what is tested here.
    return testing::run({RR_CLI, "up", dir_.file("flow.json"), "-O", "0"},
                        {"RR_CACHE_DIR=" + std::string(RR_BINARY_DIR) + "/test-aot-cache"});
  }

  // The sender ran `how` with every status kOk, and the sink took each of the `shape.count`
  // payloads exactly once, whole (its handler checked every byte).
  void expectEveryPayloadOnce(const Guest& sender, Shape shape, const std::string& how) {
    SCOPED_TRACE(std::string(sender.language) + " " + how + ", " + std::to_string(shape.count) +
                 " x " + std::to_string(shape.size) + " bytes");
    const testing::Outcome o = up(sender, shape, how);
    EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
    EXPECT_NE(o.out.find("sender | async status=ok sends=" + std::to_string(shape.count) +
                         " bytes=" + std::to_string(shape.count * shape.size) + "\n"),
              std::string::npos)
        << o.out;
    std::vector<std::uint64_t> indices;
    std::istringstream in(o.out);
    const std::string prefix = "sink | got index=";
    const std::string len = " len=" + std::to_string(shape.size);
    for (std::string line; std::getline(in, line);) {
      if (line.starts_with(prefix)) {
        EXPECT_TRUE(line.ends_with(len)) << line;
        indices.push_back(std::stoull(line.substr(prefix.size())));
      }
    }
    std::ranges::sort(indices);
    std::vector<std::uint64_t> want(shape.count);
    for (std::uint64_t i = 0; i < shape.count; ++i) {
      want[i] = i;
    }
    EXPECT_EQ(indices, want) << "each payload arrives once, with its own bytes\n" << o.out;
  }

  testing::TempDir dir_;
};

TEST_P(AsyncSdkTest, RustSenderDeliversEveryPayloadOnce) {
  for (const Shape shape : kShapes) {
    expectEveryPayloadOnce(kRustSender, shape, "wait");
  }
}

TEST_P(AsyncSdkTest, GoSenderDeliversEveryPayloadOnce) {
  for (const Shape shape : kShapes) {
    expectEveryPayloadOnce(kGoSender, shape, "wait");
  }
}

TEST_P(AsyncSdkTest, CppSenderDeliversEveryPayloadOnce) {
  for (const Shape shape : kShapes) {
    expectEveryPayloadOnce(kCppSender, shape, "wait");
  }
}

// With eight sends pending, a ninth start is the SDK's NoMemory and sends nothing (the sink never
// sees its index); in C++ and Go a second wait is Invalid. The senders exit 4 otherwise.
TEST_P(AsyncSdkTest, ANinthPendingSendIsNoMemoryInEverySdk) {
  for (const Guest& sender : {kRustSender, kGoSender, kCppSender}) {
    expectEveryPayloadOnce(sender, kSmall, "limits");
  }
}

// Pending sends dropped unwaited (Rust's Drop, C++'s ~PendingSend) are waited for there: the
// senders refill their buffers right after, and start eight more.
TEST_P(AsyncSdkTest, ADroppedPendingSendWaitsForItsSend) {
  for (const Guest& sender : {kRustSender, kCppSender}) {
    expectEveryPayloadOnce(sender, kShapes[0], "drop");
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, AsyncSdkTest, ::testing::Values("embedded", "kernel", "network"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace rr
