// Functions in Rust, Go and C in one workflow, in every mode: Go to Rust and Rust to Go at the
// sizes where each mode changes its path, and one chain through all three languages. Each reply
// is the hash of that round's payload, so a byte lost or changed at any hop fails the sender.

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "roadrunner/runtime/runner.h"

#include "../testing/modes.h"

namespace rr::runtime {
namespace {

class MixedLanguageTest : public ::testing::TestWithParam<EdgeMode> {};

TEST_P(MixedLanguageTest, GoToRustAndRustToGo) {
  const Workflow w{
      .functions = {{.name = "rust", .wasm = RR_GUEST_RUST_HASH_RECEIVER},
                    {.name = "go", .wasm = RR_GUEST_GO_HASH_RECEIVER},
                    {.name = "g0", .wasm = RR_GUEST_GO_SENDER, .args = {"rust", "0", "2"}},
                    {.name = "g1", .wasm = RR_GUEST_GO_SENDER, .args = {"rust", "4097", "3"}},
                    {.name = "g2", .wasm = RR_GUEST_GO_SENDER, .args = {"rust", "3000000", "3"}},
                    {.name = "r0", .wasm = RR_GUEST_RUST_SENDER, .args = {"go", "0", "2"}},
                    {.name = "r1", .wasm = RR_GUEST_RUST_SENDER, .args = {"go", "4097", "3"}},
                    {.name = "r2", .wasm = RR_GUEST_RUST_SENDER, .args = {"go", "3000000", "3"}}},
      .edges = {{.from = "g0", .to = "rust", .mode = GetParam()},
                {.from = "g1", .to = "rust", .mode = GetParam()},
                {.from = "g2", .to = "rust", .mode = GetParam()},
                {.from = "r0", .to = "go", .mode = GetParam()},
                {.from = "r1", .to = "go", .mode = GetParam()},
                {.from = "r2", .to = "go", .mode = GetParam()}}};
  const auto codes = testing::exitCodes(w, testing::goRunOptions());
  for (const char* sender : {"g0", "g1", "g2", "r0", "r1", "r2"}) {
    EXPECT_EQ(codes.at(sender), 0) << sender << ": 0 is every reply hash matching";
  }
  EXPECT_EQ(codes.at("(run)"), 0);
}

// Rust sender → Go relay → C relay → Rust relay → Go sink, 3 MB twice, every hop in the mode.
TEST_P(MixedLanguageTest, AChainThroughRustGoAndC) {
  const EdgeMode m = GetParam();
  const Workflow w{
      .functions = {{.name = "sender", .wasm = RR_GUEST_RUST_SENDER, .args = {"a", "3000000", "2"}},
                    {.name = "a", .wasm = RR_GUEST_GO_RELAY, .env = {"RELAY_TO=b"}},
                    {.name = "b", .wasm = RR_GUEST_RELAY, .env = {"RELAY_TO=c"}},
                    {.name = "c", .wasm = RR_GUEST_RUST_RELAY, .env = {"RELAY_TO=sink"}},
                    {.name = "sink", .wasm = RR_GUEST_GO_HASH_RECEIVER}},
      .edges = {{.from = "sender", .to = "a", .mode = m},
                {.from = "a", .to = "b", .mode = m},
                {.from = "b", .to = "c", .mode = m},
                {.from = "c", .to = "sink", .mode = m}}};
  const auto codes = testing::exitCodes(w, testing::goRunOptions());
  EXPECT_EQ(codes.at("sender"), 0);
  EXPECT_EQ(codes.at("(run)"), 0);
}

INSTANTIATE_TEST_SUITE_P(Modes, MixedLanguageTest, testing::everyMode(), testing::modeTestName);

}  // namespace
}  // namespace rr::runtime
