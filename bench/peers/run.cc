// The run behind `roadrunner-bench-peers SYSTEM SIZE RUNS`: the daemon, the consumer and the
// producer as processes of their own, every wait bounded by the run's deadline, and the result
// line in the bench JSON schema.

#include "run.h"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <vector>

#include "roadrunner/base/try.h"
#include "roadrunner/sys/pipe.h"
#include "roadrunner/sys/subprocess.h"

#include "../harness/child_output.h"
#include "../harness/measure.h"

namespace rr::bench::peers {
namespace {

using nlohmann::json;

constexpr std::chrono::seconds kExitGrace{30};

// The role processes, for the SIGTERM handler (kill(2) is async-signal-safe).
std::atomic<pid_t> g_consumer{-1};
std::atomic<pid_t> g_producer{-1};
std::atomic<bool> g_interrupted{false};

// SIGTERM or SIGINT ends the role processes; the run then unwinds as after any failure and
// stops its daemon properly (RouDi removes its shared memory only when it is stopped so).
extern "C" void onTerminate(int /*sig*/) {
  g_interrupted = true;
  for (const std::atomic<pid_t>* p : {&g_consumer, &g_producer}) {
    if (const pid_t pid = p->load(); pid > 0) {
      ::kill(pid, SIGKILL);
    }
  }
}

void catchTermination() {
  struct sigaction sa{};
  sa.sa_handler = onTerminate;
  ::sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
}

// Points the SIGTERM handler at a role process for as long as it is owned.
class SignalTarget {
 public:
  SignalTarget(std::atomic<pid_t>& slot, pid_t pid) : slot_(slot) { slot_ = pid; }
  SignalTarget(const SignalTarget&) = delete;
  SignalTarget& operator=(const SignalTarget&) = delete;
  SignalTarget(SignalTarget&&) = delete;
  SignalTarget& operator=(SignalTarget&&) = delete;
  ~SignalTarget() { slot_ = -1; }

 private:
  std::atomic<pid_t>& slot_;
};

// CPU time of this process plus its reaped children: the roles and the daemon.
rusage usage() {
  rusage self{};
  rusage children{};
  ::getrusage(RUSAGE_SELF, &self);
  ::getrusage(RUSAGE_CHILDREN, &children);
  self.ru_utime.tv_sec += children.ru_utime.tv_sec;
  self.ru_utime.tv_usec += children.ru_utime.tv_usec;
  self.ru_stime.tv_sec += children.ru_stime.tv_sec;
  self.ru_stime.tv_usec += children.ru_stime.tv_usec;
  return self;
}

// A role process of this program, reporting on its own pipe.
struct Role {
  sys::Subprocess process;
  UniqueFd report;  ///< read end of the role's kReportFd
};

Result<Role> spawnRole(const char* role, const Peer& peer, std::uint64_t size, int runs,
                       const std::string& address, Clock::time_point deadline) {
  RR_ASSIGN_OR_RETURN(sys::Pipe pipe, sys::makePipe());
  RR_ASSIGN_OR_RETURN(
      sys::Subprocess process,
      sys::Subprocess::spawn(
          {.argv = {"/proc/self/exe", role, std::string(peer.name), std::to_string(size),
                    std::to_string(runs), address, std::to_string(millisLeft(deadline))},
           .fds = {{pipe.write_end.get(), kReportFd}, {STDERR_FILENO, STDOUT_FILENO}}}));
  return Role{.process = std::move(process), .report = std::move(pipe.read_end)};
}

// Waits for a role to exit; a role that outstays the grace is killed.
Result<> reap(sys::Subprocess& process, const char* role) {
  auto code = process.waitFor(kExitGrace);
  if (!code) {
    process.kill();
    return fail(Errc::kTimedOut, "peer", std::string(role) + " did not exit");
  }
  if (*code != 0) {
    return fail(Errc::kProtocol, "peer",
                std::string(role) + " failed with status " + std::to_string(*code) +
                    (g_interrupted ? " (interrupted)" : " (its message is above)"));
  }
  return {};
}

Result<std::vector<Round>> parseRounds(const std::string& text) {
  const json doc = json::parse(text, nullptr, false);
  if (!doc.is_object() || !doc.contains("rounds") || !doc["rounds"].is_array()) {
    return fail(Errc::kProtocol, "peer", "the producer's report does not parse");
  }
  std::vector<Round> rounds;
  for (const json& r : doc["rounds"]) {
    rounds.push_back({.t0 = r.value("t0", 0.0),
                      .held = r.value("held", 0.0),
                      .consumed = r.value("consumed", 0.0),
                      .done = r.value("done", 0.0),
                      .serialization = r.value("serialization", 0.0),
                      .sent = r.value("sent", std::uint64_t{0}),
                      .got = r.value("got", std::uint64_t{1})});
  }
  return rounds;
}

struct Measured {
  std::vector<Round> rounds;
  std::uint64_t peak_rss_bytes = 0;  ///< the roles' and the daemon's, each its own
};

// Consumer first (it says when it can receive), then the producer, whose report ends the run.
Result<Measured> runRoles(const Peer& peer, std::uint64_t size, int runs,
                          const std::string& daemon_address, Clock::time_point deadline) {
  RR_ASSIGN_OR_RETURN(Role consumer,
                      spawnRole("--consumer", peer, size, runs, daemon_address, deadline));
  const SignalTarget consumer_target(g_consumer, consumer.process.pid());
  RR_ASSIGN_OR_RETURN(
      const std::string consumer_address,
      sys::readReadyLine(
          consumer.report.get(),
          std::min(sys::kReadyDeadline, std::chrono::milliseconds(millisLeft(deadline)))));
  RR_ASSIGN_OR_RETURN(Role producer,
                      spawnRole("--producer", peer, size, runs, consumer_address, deadline));
  const SignalTarget producer_target(g_producer, producer.process.pid());
  auto report = readUntilClosed(producer.report.get(), -1, deadline);
  if (!report) {
    return std::unexpected(report.error());
  }
  RR_RETURN_IF_ERROR(reap(producer.process, "the producer"));
  RR_RETURN_IF_ERROR(reap(consumer.process, "the consumer"));
  RR_ASSIGN_OR_RETURN(std::vector<Round> rounds, parseRounds(report->out));
  return Measured{
      .rounds = std::move(rounds),
      .peak_rss_bytes = producer.process.peakRssBytes() + consumer.process.peakRssBytes()};
}

double cpuDelta(const timeval& a, const timeval& b) {
  return static_cast<double>(b.tv_sec - a.tv_sec) +
         static_cast<double>(b.tv_usec - a.tv_usec) * 1e-6;
}

json result(const Peer& peer, std::uint64_t size, int runs, const std::vector<Round>& rounds,
            const rusage& before, const rusage& after, std::uint64_t peak_rss_bytes) {
  Windows windows;
  std::vector<double> serialization;
  bool verified = rounds.size() == static_cast<std::size_t>(runs) + 1;
  for (std::size_t i = 0; i < rounds.size(); ++i) {
    const Round& r = rounds[i];
    verified = verified && r.got == r.sent;
    windows.to_handler.push_back(r.held - r.t0);
    windows.consumed.push_back(r.consumed - r.t0);
    windows.round.push_back(r.done - r.t0);
    if (i > 0) {  // round 0 is the cold round
      serialization.push_back(r.serialization);
    }
  }
  json row{{"system", peer.name},
           {"workload", "chain"},
           {"payload_bytes", size},
           {"fanout", 1},
           {"serialization_s", summarize(serialization).median},
           {"cpu_user_s", cpuDelta(before.ru_utime, after.ru_utime)},
           {"cpu_sys_s", cpuDelta(before.ru_stime, after.ru_stime)},
           {"peak_rss_bytes", peak_rss_bytes},
           {"copies", nullptr},
           {"verified", verified && rounds.size() > 1}};
  addWindows(row, windows);
  const double med = row["consumed_s"]["median"].get<double>();
  row["transfer_s"] = med - row["serialization_s"].get<double>();
  row["throughput_MBps"] = med > 0 ? static_cast<double>(size) / med / 1e6 : 0.0;
  return row;
}

}  // namespace

Result<json> runPeer(const Peer& peer, std::uint64_t size, int runs) {
  RR_RETURN_IF_ERROR(peer.check_size(size));
  const auto deadline = Clock::now() + kRunDeadline;
  catchTermination();
  const rusage before = usage();
  resetPeakRss();
  DaemonPtr daemon;
  if (peer.start_daemon != nullptr) {
    RR_ASSIGN_OR_RETURN(daemon, peer.start_daemon(size, deadline));
  }
  auto measured = runRoles(peer, size, runs, daemon ? daemon->address() : "", deadline);
  // The roles are reaped (or killed by their owners on the way out): stop the daemon now.
  const std::uint64_t daemon_peak = daemon ? daemon->stop() : 0;
  if (!measured) {
    return std::unexpected(measured.error());
  }
  if (g_interrupted) {
    return fail(Errc::kTimedOut, "peer", "interrupted");
  }
  // This process, the two roles and the daemon: each its own peak, summed.
  return result(peer, size, runs, measured->rounds, before, usage(),
                peakRss() + measured->peak_rss_bytes + daemon_peak);
}

json toJson(const std::vector<Round>& rounds) {
  json out = json::array();
  for (const Round& r : rounds) {
    out.push_back({{"t0", r.t0},
                   {"held", r.held},
                   {"consumed", r.consumed},
                   {"done", r.done},
                   {"serialization", r.serialization},
                   {"sent", r.sent},
                   {"got", r.got}});
  }
  return json{{"rounds", out}};
}

}  // namespace rr::bench::peers
