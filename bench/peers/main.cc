// roadrunner-bench-peers SYSTEM SIZE RUNS: one peer baseline of `roadrunner bench`, printed as
// one JSON line on stdout. SIZE is N, NK, NM or NG (powers of 1024). The run starts this same
// program again as its consumer and producer (the hidden --consumer and --producer forms).

#include <algorithm>
#include <charconv>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "roadrunner/base/try.h"

#include "peer.h"
#include "run.h"

namespace rr::bench::peers {
namespace {

// The peers this build has: each is built only when its library was found (CMakeLists.txt).
std::vector<const Peer*> builtPeers() {
  std::vector<const Peer*> peers;
#ifdef RR_PEER_ICEORYX
  peers.push_back(&kIceoryxPeer);
#endif
#ifdef RR_PEER_NATS
  peers.push_back(&kNatsPeer);
#endif
#ifdef RR_PEER_GRPC
  peers.push_back(&kGrpcPeer);
#endif
  return peers;
}

// What each peer needs installed (Debian 13 packages, scripts/packages-bench.txt).
std::string_view packagesOf(std::string_view system) {
  if (system == "iceoryx") {
    return "iceoryx and libiceoryx-posh-dev";
  }
  if (system == "nats") {
    return "nats-server and libnats-dev";
  }
  return "libgrpc++-dev and protobuf-compiler-grpc";
}

Result<const Peer*> findPeer(std::string_view system) {
  std::string built;
  for (const Peer* peer : builtPeers()) {
    if (peer->name == system) {
      return peer;
    }
    built += (built.empty() ? "" : ", ") + std::string(peer->name);
  }
  if (system == "iceoryx" || system == "nats" || system == "grpc") {
    return fail(Errc::kNotFound, "system",
                std::string(system) +
                    " is not in this build (built: " + (built.empty() ? "none" : built) +
                    "); it is built when " + std::string(packagesOf(system)) + " are installed");
  }
  return fail(Errc::kInvalidArgument, "system",
              "'" + std::string(system) + "' is none of iceoryx, nats and grpc");
}

Result<std::uint64_t> parseNumber(std::string_view text, std::string_view what) {
  std::uint64_t mult = 1;
  if (!text.empty() && std::string_view("KkMmGg").contains(text.back())) {
    mult = std::uint64_t{1} << (std::string_view("KkMmGg").find(text.back()) / 2 * 10 + 10);
    text.remove_suffix(1);
  }
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      n > (UINT32_MAX - 65536) / mult) {
    return fail(
        Errc::kInvalidArgument, "argument",
        "bad " + std::string(what) + " '" + std::string(text) + "' (N, NK, NM or NG, below 4 GiB)");
  }
  return n * mult;
}

constexpr std::string_view kUsage = "roadrunner-bench-peers iceoryx|nats|grpc SIZE RUNS";

Result<> run(const std::vector<std::string_view>& args) {
  const bool role = !args.empty() && (args[0] == "--consumer" || args[0] == "--producer");
  if (args.size() != (role ? 6U : 3U)) {
    return fail(Errc::kInvalidArgument, "usage:", std::string(kUsage));
  }
  const std::size_t at = role ? 1 : 0;
  RR_ASSIGN_OR_RETURN(const Peer* peer, findPeer(args[at]));
  RR_ASSIGN_OR_RETURN(const std::uint64_t size, parseNumber(args[at + 1], "SIZE"));
  RR_ASSIGN_OR_RETURN(const std::uint64_t runs, parseNumber(args[at + 2], "RUNS"));
  if (runs < 1 || runs > 100'000) {
    return fail(Errc::kInvalidArgument, "argument", "RUNS must be 1 to 100000");
  }
  if (!role) {
    RR_ASSIGN_OR_RETURN(const nlohmann::json line, runPeer(*peer, size, static_cast<int>(runs)));
    std::cout << line.dump() << '\n' << std::flush;
    return {};
  }
  RR_ASSIGN_OR_RETURN(const std::uint64_t millis, parseNumber(args[5], "deadline"));
  const RoleArgs role_args{.size = size,
                           .runs = static_cast<int>(runs),
                           .address = std::string(args[4]),
                           .deadline = Clock::now() + std::chrono::milliseconds(millis)};
  if (args[0] == "--consumer") {
    return peer->consume(role_args);
  }
  RR_ASSIGN_OR_RETURN(const std::vector<Round> rounds, peer->produce(role_args));
  return writeReport(toJson(rounds).dump() + "\n");
}

}  // namespace
}  // namespace rr::bench::peers

int main(int argc, char** argv) {
  try {
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    if (auto done = rr::bench::peers::run(args); !done) {
      std::cerr << "roadrunner-bench-peers: " << done.error().message() << '\n';
      return 1;
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "roadrunner-bench-peers: " << e.what() << '\n';
    return 1;
  }
}
