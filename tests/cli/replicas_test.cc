// Replicas of a receiver behind one name, "dns:NAME:PORT", as a Kubernetes Service's name
// resolves to its pods: a whole `roadrunner up` spreads its deliveries over the replicas and
// keeps sending while they are scaled down, scaled up and killed mid-run. Nothing it was told
// was delivered is lost, and nothing is delivered twice.
//
// The name resolves through the real resolver (getaddrinfo), from a hosts file bound over
// /etc/hosts in the sender's own mount namespace; the replicas are `roadrunner serve` processes
// on loopback addresses 127.0.0.11-14, one port.

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "roadrunner/base/unique_fd.h"
#include "roadrunner/sys/subprocess.h"

#include "../testing/serve_process.h"
#include "../testing/subprocess.h"

extern char** environ;

namespace rr {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kName = "replicas.roadrunner.test";

class ReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "binds a hosts file over /etc/hosts in a mount namespace: needs root";
    }
    testing::writeText(dir_.file("secret"), "replica-secret\n");
  }

  /// Replica `i` (1-4): the ledger receiver at 127.0.0.1i, recording into dir/ledger-i.
  void startReplica(int i) {
    const std::string ledger_dir = dir_.file("r" + std::to_string(i));
    std::filesystem::create_directories(ledger_dir);
    const std::string host = "127.0.0.1" + std::to_string(i);
    replicas_[i] = std::make_unique<testing::ServeProcess>(
        RR_CLI,
        std::vector<std::string>{RR_GUEST_LEDGER_RECEIVER, "--listen",
                                 "tcp:" + host + ":" + std::to_string(port_), "--name", "ledger",
                                 "--dir", "/data:" + ledger_dir, "--secret-file",
                                 dir_.file("secret")},
        std::vector<std::string>{},
        std::vector<std::string>{"RR_CACHE_DIR=" RR_BINARY_DIR "/test-aot-cache"});
    ASSERT_TRUE(replicas_[i]->ready()) << "replica " << i;
    if (port_ == 0) {
      port_ = std::stoi(replicas_[i]->address().substr(replicas_[i]->address().rfind(':') + 1));
    }
  }

  /// What the name resolves to: replicas `live`. Rewritten in place, so the bind mount sees it.
  void publish(const std::vector<int>& live) {
    std::string hosts;
    for (const int i : live) {
      hosts += "127.0.0.1" + std::to_string(i) + " " + std::string(kName) + "\n";
    }
    testing::writeText(dir_.file("hosts"), hosts);
  }

  /// `up` with the seq_sender sending 1 KiB payloads to dns:NAME:PORT until it is killed.
  Result<sys::Subprocess> startSender() {
    testing::writeText(dir_.file("wf.json"),
                       R"({"secret_file": ")" + dir_.file("secret") + R"(", "functions": {
          "sender": {"wasm": ")" RR_GUEST_SEQ_SENDER R"(", "dirs": ["/log:)" +
                           dir_.path() +
                           R"("], "args": ["ledger", "0", "100000000", "1024", "/log/sent"]},
          "ledger": {"wasm": ")" RR_GUEST_LEDGER_RECEIVER R"("}},
        "edges": [{"from": "sender", "to": "ledger", "mode": "network",
                   "address": "dns:)" +
                           std::string(kName) + ":" + std::to_string(port_) + R"("}]})");
    std::vector<std::string> env = {"RR_CACHE_DIR=" RR_BINARY_DIR "/test-aot-cache"};
    for (char** e = environ; *e != nullptr; ++e) {
      if (!std::string_view(*e).starts_with("RR_CACHE_DIR=")) {
        env.emplace_back(*e);
      }
    }
    const UniqueFd log(
        ::open(dir_.file("up.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    return sys::Subprocess::spawn(
        {.argv = {"unshare", "-m", "sh", "-c", R"(mount --bind "$0" /etc/hosts && exec "$@")",
                  dir_.file("hosts"), RR_CLI, "up", dir_.file("wf.json")},
         .search_path = true,
         .env = env,
         .fds = {{log.get(), 1}, {log.get(), 2}}});
  }

  /// The sender's record: for each sequence number it began, whether it was acknowledged.
  [[nodiscard]] std::map<std::uint64_t, bool> sent() const {
    std::map<std::uint64_t, bool> record;
    std::ifstream log(dir_.file("sent"));
    std::string what;
    std::uint64_t seq = 0;
    while (log >> what >> seq) {
      record[seq] = record[seq] || what == "ok";
    }
    return record;
  }

  [[nodiscard]] std::size_t acknowledged() const {
    std::size_t n = 0;
    for (const auto& [seq, ok] : sent()) {
      n += ok ? 1 : 0;
    }
    return n;
  }

  /// Waits until `n` more deliveries were acknowledged than now.
  void waitForMore(std::size_t n) {
    const std::size_t target = acknowledged() + n;
    const auto deadline = std::chrono::steady_clock::now() + 60s * testing::timeScale();
    while (acknowledged() < target) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline)
          << "the sender stopped making progress:\n"
          << testing::slurp(dir_.file("up.log"));
      std::this_thread::sleep_for(20ms);
    }
  }

  /// How many times replica `i` recorded each sequence number intact ("BAD" ones fail).
  [[nodiscard]] std::map<std::uint64_t, int> ledger(int i) const {
    std::map<std::uint64_t, int> seen;
    std::ifstream in(dir_.file("r" + std::to_string(i) + "/ledger"));
    std::string word;
    while (in >> word) {
      if (word == "BAD") {
        in >> word;
        ADD_FAILURE() << "replica " << i << " got transfer " << word << " damaged";
        continue;
      }
      ++seen[std::stoull(word)];
    }
    return seen;
  }

  testing::TempDir dir_;
  int port_ = 0;
  std::map<int, std::unique_ptr<testing::ServeProcess>> replicas_;
};

TEST_F(ReplicasTest, SendersSpreadOverReplicasScaledAndKilledMidRun) {
  startReplica(1);
  startReplica(2);
  startReplica(3);
  publish({1, 2, 3});
  auto sender = startSender();
  ASSERT_TRUE(sender.has_value()) << sender.error().message();
  waitForMore(300);

  // Scale down as Kubernetes does: out of the Service's answer first, then SIGTERM.
  publish({1, 3});
  std::this_thread::sleep_for(1500ms);  // the sender's resolution is 1 s old at most
  const std::size_t r2_before_stop = ledger(2).size();
  ASSERT_EQ(replicas_[2]->stop(SIGTERM), 0);
  waitForMore(300);

  // Scale up: a new replica joins the answer.
  startReplica(4);
  publish({1, 3, 4});
  std::this_thread::sleep_for(1500ms);
  waitForMore(300);

  // A replica dies without leaving the answer (a node lost): connections to it are refused,
  // and the deliveries go to the others.
  ASSERT_EQ(replicas_[3]->stop(SIGKILL), 128 + SIGKILL);
  const std::size_t at_kill = acknowledged();
  waitForMore(300);
  (void)sender->kill();

  std::map<std::uint64_t, int> seen;
  std::map<int, std::size_t> per_replica;
  for (const int i : {1, 2, 3, 4}) {
    for (const auto& [seq, times] : ledger(i)) {
      seen[seq] += times;
      per_replica[i] += static_cast<std::size_t>(times);
    }
  }
  const auto record = sent();
  std::size_t failed = 0;
  for (const auto& [seq, ok] : record) {
    if (ok) {
      EXPECT_EQ(seen[seq], 1) << "acknowledged transfer " << seq << " arrived " << seen[seq]
                              << " times";
    } else {
      EXPECT_LE(seen[seq], 1) << "transfer " << seq << " arrived twice";
      ++failed;
    }
  }
  for (const auto& [seq, times] : seen) {
    EXPECT_TRUE(record.contains(seq)) << "transfer " << seq << " arrived but was never sent";
  }
  // The last one began may still have been in flight when the sender was killed; one more may
  // have been on the killed replica's connection.
  EXPECT_LE(failed, 3U) << testing::slurp(dir_.file("up.log")).substr(0, 3000);
  for (const int i : {1, 2, 3, 4}) {
    EXPECT_GT(per_replica[i], 50U) << "replica " << i << " got too few of the deliveries";
  }
  EXPECT_EQ(ledger(2).size(), r2_before_stop) << "replica 2 got deliveries after it stopped";
  EXPECT_GT(acknowledged(), at_kill + 250) << "the sender kept going after replica 3 died";
  std::printf("replicas: %zu acknowledged, %zu failed; per replica: %zu %zu %zu %zu\n",
              acknowledged(), failed, per_replica[1], per_replica[2], per_replica[3],
              per_replica[4]);
}

}  // namespace
}  // namespace rr
