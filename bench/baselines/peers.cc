#include "peers.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>

#include "roadrunner/base/try.h"
#include "roadrunner/sys/pipe.h"
#include "roadrunner/sys/subprocess.h"

#include "../harness/child_output.h"

namespace rr::bench {
namespace {

using Clock = std::chrono::steady_clock;

// A little longer than the program's own deadline (bench/peers/run.h), so it reports first.
constexpr std::chrono::minutes kPeerDeadline{10};
constexpr std::chrono::seconds kStopGrace{30};

std::string packagesOf(const std::string& system) {
  if (system == "iceoryx") {
    return "iceoryx and libiceoryx-posh-dev";
  }
  if (system == "nats") {
    return "nats-server and libnats-dev";
  }
  return "libgrpc++-dev and protobuf-compiler-grpc";
}

// A run past its deadline: SIGTERM lets it stop its children and daemon; after the grace, the
// whole process group (it leads its own session) is killed.
void stopHung(sys::Subprocess& peer) {
  (void)peer.signal(SIGTERM);
  if (peer.waitFor(kStopGrace)) {
    return;
  }
  ::kill(-peer.pid(), SIGKILL);
  peer.kill();
}

}  // namespace

Result<nlohmann::json> runPeer(const std::string& peer_exe, const std::string& system,
                               std::uint64_t size, int runs) {
  if (::access(peer_exe.c_str(), X_OK) != 0) {
    return fail(Errc::kNotFound, "bench",
                "`roadrunner bench` needs roadrunner-bench-peers for " + system +
                    "; it is built when " + packagesOf(system) + " are installed");
  }
  RR_ASSIGN_OR_RETURN(sys::Pipe out, sys::makePipe());
  RR_ASSIGN_OR_RETURN(sys::Pipe err, sys::makePipe());
  RR_ASSIGN_OR_RETURN(
      sys::Subprocess peer,
      sys::Subprocess::spawn(
          {.argv = {peer_exe, system, std::to_string(size), std::to_string(runs)},
           .fds = {{out.write_end.get(), STDOUT_FILENO}, {err.write_end.get(), STDERR_FILENO}},
           .new_session = true}));
  out.write_end.reset();
  err.write_end.reset();
  auto output =
      readUntilClosed(out.read_end.get(), err.read_end.get(), Clock::now() + kPeerDeadline);
  if (!output) {
    stopHung(peer);
    return fail(Errc::kTimedOut, "bench",
                "roadrunner-bench-peers " + system + " ran past " +
                    std::to_string(kPeerDeadline.count()) + " minutes and was stopped");
  }
  auto code = peer.waitFor(kStopGrace);  // it closed its output: it is exiting
  if (!code) {
    stopHung(peer);
    return std::unexpected(code.error());
  }
  if (*code != 0) {
    std::string message = output->err;
    while (!message.empty() && message.back() == '\n') {
      message.pop_back();
    }
    return fail(Errc::kProtocol, "bench",
                message.empty() ? "roadrunner-bench-peers " + system + " failed with status " +
                                      std::to_string(*code)
                                : message);
  }
  auto line = nlohmann::json::parse(output->out, nullptr, false);
  if (!line.is_object() || line.value("system", "") != system) {
    return fail(Errc::kProtocol, "bench",
                "roadrunner-bench-peers " + system + " wrote no result line");
  }
  return line;
}

}  // namespace rr::bench
