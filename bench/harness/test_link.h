#pragma once

// The inter-node figure's two nodes on one machine: this process's network namespace and a test
// host, a network namespace of its own, joined by a veth pair whose both ends are shaped to one
// rate (tc tbf), as the paper's two nodes were joined by a link of about 1 Gbit/s. Needs root,
// ip(8) and tc(8). scripts/bench-veth makes an unshaped pair of the same kind for ad hoc runs.

#include <cstdint>
#include <functional>
#include <string>

#include "roadrunner/base/error.h"
#include "roadrunner/base/unique_fd.h"

namespace rr::bench {

/// Held by create() while it sweeps abandoned links and makes its own. Whoever makes a link of
/// the same names by other means (a test planting an abandoned one) holds it too, so that no
/// create() sweeps that link half made.
inline constexpr const char* kTestLinkLock = "/run/roadrunner-test-link.lock";

/// A shaped veth pair to a test host. Move-only.
///
/// Ownership: owns the namespace and both veth ends (deleting the namespace deletes the pair);
/// the destructor deletes them, so a run that fails leaves no link behind. The link of a run
/// that was killed is deleted by the next create(): its name carries the pid of its owner.
class TestLink {
 public:
  /// `rate` in tc's syntax ("1gbit"). Errors: EPERM without root, ENOENT without ip or tc,
  /// kInvalidArgument naming the ip or tc command that failed (a rate tc refuses, ...).
  [[nodiscard]] static Result<TestLink> create(const std::string& rate);

  TestLink(TestLink&& other) noexcept;
  TestLink& operator=(TestLink&&) = delete;
  TestLink(const TestLink&) = delete;
  TestLink& operator=(const TestLink&) = delete;
  ~TestLink();

  /// The test host's namespace (/run/netns/NAME), for `ip netns exec` and enterNetns.
  [[nodiscard]] const std::string& netns() const noexcept { return netns_; }
  /// This side's address, and the test host's.
  [[nodiscard]] const std::string& localIp() const noexcept { return local_ip_; }
  [[nodiscard]] const std::string& peerIp() const noexcept { return peer_ip_; }
  [[nodiscard]] const std::string& rate() const noexcept { return rate_; }

 private:
  TestLink() = default;
  std::string netns_, local_dev_, local_ip_, peer_ip_, rate_;
};

/// Moves the calling thread (only it) into network namespace `netns`; empty: stays. Sockets it
/// creates afterwards belong to that namespace for their life.
[[nodiscard]] Result<> enterNetns(const std::string& netns);

/// A TCP listener on `host` at a port the kernel picks, created in network namespace `netns`
/// (empty: ours) by a thread of its own, joined before this returns.
[[nodiscard]] Result<UniqueFd> listenTcpIn(const std::string& netns, const std::string& host);

}  // namespace rr::bench
