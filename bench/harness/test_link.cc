#include "test_link.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>
#include <utility>
#include <vector>

#include "roadrunner/base/try.h"
#include "roadrunner/sys/file_lock.h"
#include "roadrunner/sys/subprocess.h"
#include "roadrunner/sys/tcp.h"

namespace rr::bench {
namespace {

constexpr std::chrono::seconds kCommandDeadline{20};

// Runs ip or tc to completion; the error names the command.
Result<> command(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& a : argv) {
    line += (line.empty() ? "" : " ") + a;
  }
  RR_ASSIGN_OR_RETURN(sys::Subprocess child,
                      sys::Subprocess::spawn({.argv = argv, .search_path = true}));
  RR_ASSIGN_OR_RETURN(const int code, child.waitFor(kCommandDeadline));
  if (code != 0) {
    return fail(Errc::kInvalidArgument, "test link",
                "'" + line + "' exited " + std::to_string(code));
  }
  return {};
}

// tbf on a veth end's egress: `rate`, with a burst a 250 Hz timer can refill and room for
// 50 ms of queue.
Result<> shape(const std::vector<std::string>& prefix, const std::string& dev,
               const std::string& rate) {
  std::vector<std::string> argv = prefix;
  argv.insert(argv.end(), {"tc", "qdisc", "add", "dev", dev, "root", "tbf", "rate", rate, "burst",
                           "1mbit", "latency", "50ms"});
  return command(argv);
}

// Deletes the links of bench runs that ended without deleting theirs (killed, interrupted):
// a namespace rrlinkPID whose process is gone, and its veth end.
void sweepAbandoned() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec)) {
    const std::string name = entry.path().filename().string();
    int pid = 0;
    const char* digits = name.c_str() + std::strlen("rrlink");
    if (!name.starts_with("rrlink") ||
        std::from_chars(digits, name.c_str() + name.size(), pid).ec != std::errc{} || pid <= 0 ||
        ::kill(pid, 0) == 0 || errno != ESRCH) {
      continue;
    }
    (void)command({"ip", "netns", "del", name});
    if (::access(("/sys/class/net/rrlinkA" + std::to_string(pid)).c_str(), F_OK) == 0) {
      (void)command({"ip", "link", "del", "rrlinkA" + std::to_string(pid)});
    }
  }
}

}  // namespace

Result<TestLink> TestLink::create(const std::string& rate) {
  if (::geteuid() != 0) {
    return failErrno("test link: making a network namespace needs root", EPERM);
  }
  RR_ASSIGN_OR_RETURN(const sys::FileLock held,
                      sys::FileLock::acquire(kTestLinkLock, std::chrono::seconds(60)));
  sweepAbandoned();
  const auto id = std::to_string(::getpid());
  const std::string net = "10.233." + std::to_string(::getpid() % 250);
  TestLink link;
  link.rate_ = rate;
  link.local_dev_ = "rrlinkA" + id;
  link.local_ip_ = net + ".1";
  link.peer_ip_ = net + ".2";
  const std::string peer_dev = "rrlinkB" + id;
  RR_RETURN_IF_ERROR(command({"ip", "netns", "add", "rrlink" + id}));
  link.netns_ = "rrlink" + id;  // owned from here: the destructor deletes it
  const std::vector<std::string> in_peer = {"ip", "netns", "exec", link.netns_};
  RR_RETURN_IF_ERROR(
      command({"ip", "link", "add", link.local_dev_, "type", "veth", "peer", "name", peer_dev}));
  RR_RETURN_IF_ERROR(command({"ip", "link", "set", peer_dev, "netns", link.netns_}));
  RR_RETURN_IF_ERROR(
      command({"ip", "addr", "add", link.local_ip_ + "/24", "dev", link.local_dev_}));
  RR_RETURN_IF_ERROR(
      command({"ip", "-n", link.netns_, "addr", "add", link.peer_ip_ + "/24", "dev", peer_dev}));
  RR_RETURN_IF_ERROR(command({"ip", "-n", link.netns_, "link", "set", "lo", "up"}));
  RR_RETURN_IF_ERROR(command({"ip", "link", "set", link.local_dev_, "up"}));
  RR_RETURN_IF_ERROR(command({"ip", "-n", link.netns_, "link", "set", peer_dev, "up"}));
  RR_RETURN_IF_ERROR(shape({}, link.local_dev_, rate));
  RR_RETURN_IF_ERROR(shape(in_peer, peer_dev, rate));
  return link;
}

TestLink::TestLink(TestLink&& other) noexcept
    : netns_(std::exchange(other.netns_, {})),
      local_dev_(std::exchange(other.local_dev_, {})),
      local_ip_(std::move(other.local_ip_)),
      peer_ip_(std::move(other.peer_ip_)),
      rate_(std::move(other.rate_)) {}

TestLink::~TestLink() {
  if (!netns_.empty()) {
    // Deleting the namespace deletes its veth end, and with it ours; a pair that never reached
    // the namespace is deleted by name.
    (void)command({"ip", "netns", "del", netns_});
    if (::access(("/sys/class/net/" + local_dev_).c_str(), F_OK) == 0) {
      (void)command({"ip", "link", "del", local_dev_});
    }
  }
}

Result<> enterNetns(const std::string& netns) {
  if (netns.empty()) {
    return {};
  }
  const UniqueFd ns(::open(("/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns.valid()) {
    return failErrno("open /run/netns/" + netns);
  }
  if (::setns(ns.get(), CLONE_NEWNET) != 0) {
    return failErrno("setns " + netns);
  }
  return {};
}

Result<UniqueFd> listenTcpIn(const std::string& netns, const std::string& host) {
  Result<UniqueFd> listener = failErrno("listen", ECANCELED);
  std::thread t([&] {
    const Result<> entered = enterNetns(netns);
    listener =
        entered ? sys::listenTcp(host, 0) : Result<UniqueFd>(std::unexpected(entered.error()));
  });
  t.join();
  return listener;
}

}  // namespace rr::bench
