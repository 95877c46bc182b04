#include <algorithm>
#include <string>

#include "../../bench/harness/harness.h"
#include "../../bench/soak/soak.h"
#include "cli.h"

namespace rr::cli {

int benchCommand(Args args) {
  bench::Options options;
  options.guest_dir = guestDir();
  std::string sizes = "1M,16M,100M,500M";
  bool quick = false;
  bool systems_given = false;
  bool fanout_given = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    const auto value = [&]() -> std::string {
      return i + 1 < args.size() ? std::string(args[++i]) : std::string();
    };
    if (arg == "--quick") {
      quick = true;
      sizes = "1M,16M,100M";
      options.runs = 5;
    } else if (arg == "--sizes") {
      sizes = value();
    } else if (arg == "--modes" || arg == "--systems") {
      systems_given = true;
      options.systems.clear();
      std::string list = value();
      for (std::size_t pos = 0; pos <= list.size();) {
        const std::size_t comma = std::min(list.find(',', pos), list.size());
        if (comma > pos) {
          options.systems.push_back(list.substr(pos, comma - pos));
        }
        pos = comma + 1;
      }
    } else if (arg == "--fanout") {
      fanout_given = true;
      const std::string list = value();
      for (std::size_t pos = 0; pos <= list.size();) {
        const std::size_t comma = std::min(list.find(',', pos), list.size());
        const std::string item = list.substr(pos, comma - pos);
        if (item.empty() || !std::ranges::all_of(item, [](char c) { return c >= '0' && c <= '9'; }) ||
            std::stoul(item) == 0 || std::stoul(item) > 1024) {
          return usageError("bench: --fanout takes N[,N...] with 1 <= N <= 1024");
        }
        options.fanouts.push_back(static_cast<std::uint32_t>(std::stoul(item)));
        pos = comma + 1;
      }
    } else if (arg == "--fanout-size") {
      auto parsed_size = bench::parseSizes(value());
      if (!parsed_size) {
        return reportError(parsed_size.error(), kExitUsage);
      }
      options.fanout_size = parsed_size->front();
    } else if (arg == "--network-host") {
      options.network_host = value();
    } else if (arg == "--splice-threshold") {
      auto parsed_size = bench::parseSizes(value());
      if (!parsed_size) {
        return reportError(parsed_size.error(), kExitUsage);
      }
      options.splice_threshold = parsed_size->front();
    } else if (arg == "--serve-netns") {
      options.serve_netns = value();
    } else if (arg == "--runs") {
      const std::string n = value();
      options.runs = n.empty() ? 0 : std::atoi(n.c_str());
      if (options.runs < 1 || options.runs > 1000) {
        return usageError("bench: --runs takes 1..1000");
      }
    } else if (arg == "--json") {
      options.json_path = value();
      if (options.json_path.empty()) {
        return usageError("bench: --json needs a file");
      }
    } else {
      return usageError("bench: unknown argument '" + std::string(arg) + "'");
    }
  }
  if (quick) {
    // Every system, a subset of sizes and a small fan-out: about two minutes here.
    if (!systems_given) {
      options.systems = {"embedded",    "kernel", "kernel-memfd", "network",
                         "native-http", "redis",  "wasmedge-http"};
    }
    if (!fanout_given) {
      options.fanouts = {1, 10};
    }
  }
  auto parsed = bench::parseSizes(sizes);
  if (!parsed) {
    return reportError(parsed.error(), kExitUsage);
  }
  options.sizes = *parsed;
  if (auto r = bench::run(options); !r) {
    return reportError(r.error());
  }
  return 0;
}

}  // namespace rr::cli

namespace rr::cli {

int soakCommand(Args args) {
  bench::SoakOptions options;
  options.guest_dir = guestDir();
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    const auto number = [&]() -> std::optional<std::uint64_t> {
      if (i + 1 >= args.size()) {
        return std::nullopt;
      }
      const std::string v(args[++i]);
      if (v.empty() || !std::ranges::all_of(v, [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
      }
      return std::stoull(v);
    };
    std::optional<std::uint64_t> n;
    if (arg == "--small" && (n = number())) {
      options.small = *n;
    } else if (arg == "--large" && (n = number())) {
      options.large = *n;
    } else if (arg == "--large-size" && (n = number()) && *n > 0 && *n < (1ULL << 31U)) {
      options.large_size = *n;
    } else if (arg == "--modes" && i + 1 < args.size()) {
      options.systems.clear();
      const std::string list(args[++i]);
      for (std::size_t pos = 0; pos <= list.size();) {
        const std::size_t comma = std::min(list.find(',', pos), list.size());
        const std::string s = list.substr(pos, comma - pos);
        if (s != "embedded" && s != "kernel" && s != "kernel-memfd" && s != "network") {
          return usageError("soak: unknown mode '" + s + "'");
        }
        options.systems.push_back(s);
        pos = comma + 1;
      }
    } else {
      return usageError("soak: bad argument '" + std::string(arg) + "'");
    }
  }
  if (auto r = bench::soak(options); !r) {
    return reportError(r.error());
  }
  return 0;
}

}  // namespace rr::cli
