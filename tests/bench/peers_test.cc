// The peer baselines (roadrunner-bench-peers) for real: each moves 1 MiB four times between its
// two processes and verifies every round, and a payload changed on the way (the consumer flips a
// byte under RR_BENCH_CORRUPT_FOR_TEST) is never verified. A peer this build lacks is skipped.

#include "../../bench/baselines/peers.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../testing/subprocess.h"

namespace rr {
namespace {

const std::string kPeers = RR_BENCH_PEERS_EXE;

bool built(const std::string& system) {
  const std::string list = std::string(",") + RR_BENCH_PEERS_BUILT + ",";
  return !kPeers.empty() && list.find("," + system + ",") != std::string::npos;
}

struct PeerRun {
  testing::Outcome outcome;
  nlohmann::json line;
};

PeerRun runPeer(const std::string& system, const std::vector<std::string>& env = {}) {
  PeerRun run{.outcome = testing::run({kPeers, system, "1M", "3"}, env), .line = {}};
  run.line = nlohmann::json::parse(run.outcome.out, nullptr, false);
  return run;
}

class PeerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!built(GetParam())) {
      GTEST_SKIP() << "roadrunner-bench-peers was not built with " << GetParam()
                   << " (scripts/packages-bench.txt)";
    }
  }
};

TEST_P(PeerTest, AnIntactPayloadIsVerifiedInEveryRound) {
  const PeerRun run = runPeer(GetParam());

  ASSERT_EQ(run.outcome.exit_code, 0) << run.outcome.err;
  ASSERT_TRUE(run.line.is_object()) << run.outcome.out;
  EXPECT_EQ(run.line.value("system", ""), GetParam());
  EXPECT_TRUE(run.line.value("verified", false)) << run.line.dump();
  EXPECT_EQ(run.line.value("runs", 0), 3);
  EXPECT_GT(run.line.value("first_s", 0.0), 0.0);
  const double to_handler = run.line["to_handler_s"].value("median", 0.0);
  const double consumed = run.line["consumed_s"].value("median", 0.0);
  EXPECT_GT(to_handler, 0.0);
  EXPECT_LE(to_handler, consumed);
  EXPECT_LE(consumed, run.line["round_s"].value("median", 0.0));
  EXPECT_EQ(run.line["latency_s"], run.line["consumed_s"]);
  EXPECT_GT(run.line.value("peak_rss_bytes", 0), 1 << 20);
}

TEST_P(PeerTest, APayloadChangedOnTheWayIsNotVerified) {
  const PeerRun run = runPeer(GetParam(), {"RR_BENCH_CORRUPT_FOR_TEST=1"});

  ASSERT_EQ(run.outcome.exit_code, 0) << run.outcome.err;
  ASSERT_TRUE(run.line.is_object()) << run.outcome.out;
  EXPECT_FALSE(run.line.value("verified", true)) << run.line.dump();
}

INSTANTIATE_TEST_SUITE_P(Systems, PeerTest, ::testing::Values("iceoryx", "nats", "grpc"));

TEST(PeerLimitsTest, NatsRefusesAPayloadOverItsMaxPayloadByName) {
  if (!built("nats")) {
    GTEST_SKIP() << "roadrunner-bench-peers was not built with nats";
  }
  const testing::Outcome o = testing::run({kPeers, "nats", "100M", "1"});

  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("roadrunner-bench-peers: nats cannot carry a 100 MiB payload"),
            std::string::npos)
      << o.err;
  EXPECT_NE(o.err.find("64 MiB"), std::string::npos) << o.err;
}

TEST(PeerLimitsTest, AnUnknownSystemIsAnError) {
  if (kPeers.empty()) {
    GTEST_SKIP() << "roadrunner-bench-peers was not built";
  }
  const testing::Outcome o = testing::run({kPeers, "zeromq", "1M", "1"});

  EXPECT_EQ(o.exit_code, 1);
  EXPECT_TRUE(o.err.starts_with("roadrunner-bench-peers: ")) << o.err;
}

TEST(RunPeerTest, AMissingPeerProgramNamesThePackagesToInstall) {
  const auto line = bench::runPeer("/nonexistent/roadrunner-bench-peers", "nats", 1 << 20, 1);

  ASSERT_FALSE(line.has_value());
  EXPECT_NE(line.error().message().find("`roadrunner bench` needs roadrunner-bench-peers for "
                                        "nats; it is built when nats-server and libnats-dev are "
                                        "installed"),
            std::string::npos)
      << line.error().message();
}

TEST(RunPeerTest, ReturnsTheProgramsResultLine) {
  if (!built("grpc")) {
    GTEST_SKIP() << "roadrunner-bench-peers was not built with grpc";
  }
  const auto line = bench::runPeer(kPeers, "grpc", 1 << 20, 2);

  ASSERT_TRUE(line.has_value()) << line.error().message();
  EXPECT_EQ(line->value("system", ""), "grpc");
  EXPECT_TRUE(line->value("verified", false));
  EXPECT_GT(line->value("serialization_s", 0.0), 0.0) << "protobuf encode + parse, timed";
}

}  // namespace
}  // namespace rr
