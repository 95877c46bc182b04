// Functions written with the Rust SDK (guest/rust/roadrunner) beside functions in C, on real
// WasmEdge: the SDK's names and numbers against abi.h, payloads and replies across languages in
// every mode, a fan-out, and every status of the ABI reached and observed from Rust.

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "roadrunner/guest/abi.h"
#include "roadrunner/host/status.h"
#include "roadrunner/runtime/runner.h"

#include "../testing/garbage_peer.h"
#include "../testing/modes.h"
#include "../testing/subprocess.h"

namespace rr::runtime {
namespace {

// The crate's `abi` module prints each item; each must be abi.h's, and each status's name the
// host's (which the C SDK shares).
TEST(RustSdkAbiTest, EveryNameAndNumberIsAbiHs) {
  const testing::Outcome o = testing::run({RR_CLI, "run", RR_GUEST_RUST_ABI_DUMP},
                                          {"RR_CACHE_DIR=" RR_BINARY_DIR "/test-aot-cache"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const std::map<std::string, std::string> want = {
      {"RR_ABI_MODULE", RR_ABI_MODULE},
      {"RR_IMPORT_SEND", RR_IMPORT_SEND},
      {"RR_IMPORT_REPLY", RR_IMPORT_REPLY},
      {"RR_IMPORT_SEND_MOVE", RR_IMPORT_SEND_MOVE},
      {"RR_IMPORT_SHARE_PAGES", RR_IMPORT_SHARE_PAGES},
      {"RR_IMPORT_UNSHARE_PAGES", RR_IMPORT_UNSHARE_PAGES},
      {"RR_IMPORT_STREAM_OPEN", RR_IMPORT_STREAM_OPEN},
      {"RR_IMPORT_STREAM_WRITE", RR_IMPORT_STREAM_WRITE},
      {"RR_IMPORT_STREAM_WRITE_MOVE", RR_IMPORT_STREAM_WRITE_MOVE},
      {"RR_IMPORT_STREAM_TRY_WRITE", RR_IMPORT_STREAM_TRY_WRITE},
      {"RR_IMPORT_STREAM_CLOSE", RR_IMPORT_STREAM_CLOSE},
      {"RR_IMPORT_SEND_ASYNC", RR_IMPORT_SEND_ASYNC},
      {"RR_IMPORT_SEND_WAIT", RR_IMPORT_SEND_WAIT},
      {"RR_EXPORT_ABI_VERSION", RR_EXPORT_ABI_VERSION},
      {"RR_EXPORT_ALLOC", RR_EXPORT_ALLOC},
      {"RR_EXPORT_ON_MESSAGE", RR_EXPORT_ON_MESSAGE},
      {"RR_EXPORT_RELEASE", RR_EXPORT_RELEASE},
      {"RR_EXPORT_ON_STREAM", RR_EXPORT_ON_STREAM},
      {"RR_EXPORT_REUSE_BUFFERS", RR_EXPORT_REUSE_BUFFERS},
      {"RR_ABI_VERSION", std::to_string(RR_ABI_VERSION)},
      {"RR_ALLOC_ALIGN", std::to_string(RR_ALLOC_ALIGN)},
      {"RR_PAGE_SIZE", std::to_string(RR_PAGE_SIZE)},
      {"RR_HUGE_PAGE_SIZE", std::to_string(RR_HUGE_PAGE_SIZE)},
      {"RR_STREAM_DATA", std::to_string(RR_STREAM_DATA)},
      {"RR_STREAM_END", std::to_string(RR_STREAM_END)},
      {"RR_STREAM_ABORT", std::to_string(RR_STREAM_ABORT)},
      {"RR_MAX_STREAMS", std::to_string(RR_MAX_STREAMS)},
      {"RR_MAX_STREAMS_IN", std::to_string(RR_MAX_STREAMS_IN)},
      {"RR_MAX_IN_FLIGHT", std::to_string(RR_MAX_IN_FLIGHT)},
      {"RR_OK", std::to_string(RR_OK)},
      {"RR_EUNKNOWN_TARGET", std::to_string(RR_EUNKNOWN_TARGET)},
      {"RR_ENOT_ALLOWED", std::to_string(RR_ENOT_ALLOWED)},
      {"RR_ETOO_LARGE", std::to_string(RR_ETOO_LARGE)},
      {"RR_ENOMEM", std::to_string(RR_ENOMEM)},
      {"RR_EBAD_ALLOC", std::to_string(RR_EBAD_ALLOC)},
      {"RR_ERECEIVER_FAILED", std::to_string(RR_ERECEIVER_FAILED)},
      {"RR_EHANDLER", std::to_string(RR_EHANDLER)},
      {"RR_EFAULT", std::to_string(RR_EFAULT)},
      {"RR_EREPLY_TOO_LARGE", std::to_string(RR_EREPLY_TOO_LARGE)},
      {"RR_ENO_REPLY_CONTEXT", std::to_string(RR_ENO_REPLY_CONTEXT)},
      {"RR_EUNAVAILABLE", std::to_string(RR_EUNAVAILABLE)},
      {"RR_ETIMEDOUT", std::to_string(RR_ETIMEDOUT)},
      {"RR_EPROTO", std::to_string(RR_EPROTO)},
      {"RR_EINVAL", std::to_string(RR_EINVAL)},
      {"RR_EEXITED", std::to_string(RR_EEXITED)},
      {"RR_ENO_STREAMS", std::to_string(RR_ENO_STREAMS)},
      {"RR_EWOULDBLOCK", std::to_string(RR_EWOULDBLOCK)},
      {"RR_STATUS_MAX", std::to_string(RR_STATUS_MAX)}};
  std::map<std::string, std::string> got;
  std::vector<std::string> status_lines;
  std::istringstream in(o.out);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("status ")) {
      status_lines.push_back(line);
    } else if (const auto space = line.find(' '); space != std::string::npos) {
      got[line.substr(0, space)] = line.substr(space + 1);
    }
  }
  EXPECT_EQ(got, want);
  ASSERT_EQ(status_lines.size(), RR_STATUS_MAX + 1U);
  for (std::uint32_t raw = 1; raw <= RR_STATUS_MAX + 1; ++raw) {
    const std::string name = raw <= RR_STATUS_MAX ? host::statusName(static_cast<host::Status>(raw))
                                                  : std::string("unknown status");
    EXPECT_EQ(status_lines[raw - 1],
              "status " + std::to_string(raw) + " " + std::to_string(raw) + " " + name);
  }
}

struct Pair {
  const char* name;
  const char* sender;
  const char* receiver;
};

class RustGuestTest : public ::testing::TestWithParam<EdgeMode> {};

// Three senders of one language (0 bytes, one byte past a page, 3 MB: past the memfd and splice
// thresholds) to one receiver of another, three rounds each with different bytes; each reply
// is the hash of that round's payload.
TEST_P(RustGuestTest, PayloadsAndRepliesCrossLanguages) {
  for (const Pair& p : {Pair{"rust-to-c", RR_GUEST_RUST_SENDER, RR_GUEST_HASH_RECEIVER},
                        Pair{"c-to-rust", RR_GUEST_SENDER, RR_GUEST_RUST_HASH_RECEIVER},
                        Pair{"rust-to-rust", RR_GUEST_RUST_SENDER, RR_GUEST_RUST_HASH_RECEIVER}}) {
    SCOPED_TRACE(p.name);
    Workflow w{.functions = {{.name = "sink", .wasm = p.receiver}}};
    for (const std::string size : {"0", "4097", "3000000"}) {
      w.functions.push_back({.name = "s" + size, .wasm = p.sender, .args = {"sink", size, "3"}});
      w.edges.push_back({.from = "s" + size, .to = "sink", .mode = GetParam()});
    }
    const auto codes = testing::exitCodes(w);
    for (const std::string size : {"0", "4097", "3000000"}) {
      EXPECT_EQ(codes.at("s" + size), 0) << size << " bytes: 0 is three matching hashes";
    }
  }
}

// Rust → C relay → Rust relay → C sink, and back: each hop in the test's mode.
TEST_P(RustGuestTest, AChainAlternatingLanguagesRelaysPayloadAndReply) {
  const Workflow w{
      .functions = {{.name = "sender", .wasm = RR_GUEST_RUST_SENDER, .args = {"a", "3000000", "2"}},
                    {.name = "a", .wasm = RR_GUEST_RELAY, .env = {"RELAY_TO=b"}},
                    {.name = "b", .wasm = RR_GUEST_RUST_RELAY, .env = {"RELAY_TO=sink"}},
                    {.name = "sink", .wasm = RR_GUEST_HASH_RECEIVER}},
      .edges = {{.from = "sender", .to = "a", .mode = GetParam()},
                {.from = "a", .to = "b", .mode = GetParam()},
                {.from = "b", .to = "sink", .mode = GetParam()}}};
  EXPECT_EQ(testing::exitCodes(w).at("sender"), 0);
}

// The fan-out workload in Rust around C: a Rust source broadcasts to four Rust workers, each of
// which sends its partial sum to a C sink (fan-in); the source then asks the sink for a report.
TEST_P(RustGuestTest, FanOutToRustWorkersAndFanInToC) {
  const std::string guests = std::string(RR_BINARY_DIR) + "/guests/";
  const Workflow w{
      .functions = {{.name = "source", .wasm = guests + "rust_fan_source.wasm", .args = {"100000"}},
                    {.name = "worker", .wasm = guests + "rust_fan_worker.wasm", .instances = 4},
                    {.name = "sink", .wasm = guests + "fan_sink.wasm"}},
      .edges = {{.from = "source", .to = "worker", .mode = GetParam()},
                {.from = "worker", .to = "sink", .mode = GetParam()},
                {.from = "source", .to = "sink", .mode = GetParam()}}};
  auto r = runWorkflow(w, testing::servedRunOptions());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->exit_code, 0);
  for (const auto& i : r->instances) {
    if (i.name == "source") {
      EXPECT_EQ(i.sends, 2U) << "one broadcast, one report";
      EXPECT_EQ(i.bytes, 400000U + 6U);
    }
  }
}

std::string expect(const std::string& c, rr_status_t status) {
  return c + "=" + std::to_string(status);
}

// Every status but RR_EPROTO (which needs a broken peer: next test), provoked through the Rust
// SDK against real receivers. A wrong status names its case in the probe's output.
TEST_P(RustGuestTest, EveryStatusIsReachableFromRust) {
  const testing::TempDir state;
  std::vector<std::string> cases = {expect("size:hash:4096", RR_OK),
                                    expect("send:nobody:x", RR_EUNKNOWN_TARGET),
                                    expect("send:other:x", RR_ENOT_ALLOWED),
                                    expect("size:small:17", RR_ETOO_LARGE),
                                    expect("size:small:16", RR_OK),
                                    expect("size:zero:100", RR_ENOMEM),
                                    expect("size:bogus:100", RR_EBAD_ALLOC),
                                    expect("send:victim:trap", RR_ERECEIVER_FAILED),
                                    expect("send:relay:x", RR_EHANDLER),
                                    expect("fault", RR_EFAULT),
                                    expect("reply:big:100:64", RR_EREPLY_TOO_LARGE),
                                    expect("reply:big:64:64", RR_OK),
                                    expect("reply-outside", RR_ENO_REPLY_CONTEXT),
                                    expect("send:once:trap", RR_ERECEIVER_FAILED),
                                    expect("send:once:x", RR_EUNAVAILABLE),
                                    expect("send:victim:spin", RR_ETIMEDOUT),
                                    expect("send::x", RR_EINVAL),
                                    expect("send:victim:exit", RR_EEXITED),
                                    expect("member:group:2:5000", RR_OK),
                                    expect("member:group:3:5000", RR_EUNKNOWN_TARGET)};
  const EdgeMode m = GetParam();
  const Workflow w{
      .functions = {{.name = "probe", .wasm = RR_GUEST_RUST_STATUS_PROBE, .args = cases},
                    {.name = "hash", .wasm = RR_GUEST_HASH_RECEIVER},
                    {.name = "small", .wasm = RR_GUEST_HASH_RECEIVER, .max_payload = 16},
                    {.name = "big", .wasm = RR_GUEST_BIG_REPLY_RECEIVER},
                    {.name = "zero", .wasm = RR_GUEST_HOSTILE_RECEIVER, .env = {"HOSTILE=zero"}},
                    {.name = "bogus", .wasm = RR_GUEST_HOSTILE_RECEIVER, .env = {"HOSTILE=bogus"}},
                    {.name = "victim", .wasm = RR_GUEST_ATTACK_RECEIVER, .timeout_ms = 300},
                    {.name = "relay", .wasm = RR_GUEST_RELAY, .env = {"RELAY_TO=nobody"}},
                    {.name = "other", .wasm = RR_GUEST_HASH_RECEIVER},
                    {.name = "once",
                     .wasm = RR_GUEST_ONCE_RECEIVER,
                     .dirs = {"/state:" + state.path()}},
                    {.name = "group", .wasm = RR_GUEST_RUST_HASH_RECEIVER, .instances = 3}},
      .edges = {{.from = "probe", .to = "hash", .mode = m},
                {.from = "probe", .to = "small", .mode = m},
                {.from = "probe", .to = "big", .mode = m},
                {.from = "probe", .to = "zero", .mode = m},
                {.from = "probe", .to = "bogus", .mode = m},
                {.from = "probe", .to = "victim", .mode = m},
                {.from = "probe", .to = "relay", .mode = m},
                {.from = "relay", .to = "other", .mode = m},
                {.from = "probe", .to = "once", .mode = m},
                {.from = "probe", .to = "group", .mode = m}}};
  EXPECT_EQ(testing::exitCodes(w).at("probe"), 0) << "the line marked UNEXPECTED names the case";
}

INSTANTIATE_TEST_SUITE_P(Modes, RustGuestTest, testing::everyMode(), testing::modeTestName);

// A peer that answers every frame with garbage: the Rust sender gets RR_EPROTO.
TEST(RustGuestStatusTest, APeerThatBreaksTheProtocolIsProtoForTheSender) {
  const testing::TempDir dir;
  const std::string path = dir.file("broken.sock");
  const testing::GarbagePeer peer(path);
  ASSERT_TRUE(peer.ok());
  const Workflow w{
      .functions = {{.name = "probe",
                     .wasm = RR_GUEST_RUST_STATUS_PROBE,
                     .args = {expect("size:broken:100", RR_EPROTO)}},
                    {.name = "broken", .wasm = "runs-elsewhere.wasm"}},
      .edges = {
          {.from = "probe", .to = "broken", .mode = EdgeMode::kKernel, .address = "unix:" + path}}};
  const auto codes = testing::exitCodes(w);
  EXPECT_EQ(codes.at("probe"), 0) << "the line marked UNEXPECTED names the case";
}

}  // namespace
}  // namespace rr::runtime
