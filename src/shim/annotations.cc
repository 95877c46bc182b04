#include "roadrunner/shim/annotations.h"

#include <algorithm>
#include <set>
#include <string>
#include <string_view>

#include "roadrunner/base/names.h"
#include "roadrunner/base/net_grant.h"
#include "roadrunner/base/tcp_address.h"

namespace rr::shim {
namespace {

std::unexpected<Error> bad(std::string_view key, std::string detail) {
  return fail(Errc::kInvalidArgument, "annotation",
              std::string(kAnnotationPrefix) + std::string(key) + ": " + std::move(detail));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

/// "tcp:HOST:PORT" as `transport::Address` reads it, with a port of 1-65535 (0 only when
/// listening).
bool validTcp(std::string_view text, bool listening) {
  const auto tcp = parseTcpAddress(text);
  return tcp && (tcp->port > 0 || listening);
}

}  // namespace

Result<Wiring> parseWiring(const std::map<std::string, std::string>& annotations,
                           const std::string& default_name) {
  Wiring w;
  w.name = default_name;
  bool listen_given = false;
  for (const auto& [full_key, value] : annotations) {
    if (!full_key.starts_with(kAnnotationPrefix)) {
      continue;
    }
    const std::string_view key = std::string_view(full_key).substr(kAnnotationPrefix.size());
    if (key == "role") {
      if (value == "receiver") {
        w.receiver = true;
      } else if (value != "function") {
        return bad(key, "'" + value + "' is neither 'receiver' nor 'function'");
      }
    } else if (key == "name") {
      if (!validFunctionName(value)) {
        return bad(key, "'" + value + "' is not 1-64 characters of [A-Za-z0-9_.-]");
      }
      w.name = value;
    } else if (key == "listen") {
      if (value != "unix" && !validTcp(value, true)) {
        return bad(key, "'" + value + "' is neither 'unix' nor tcp:HOST:PORT");
      }
      w.listen = value;
      listen_given = true;
    } else if (key == "targets") {
      std::set<std::string> seen;
      std::string_view rest = value;
      while (true) {
        const auto comma = rest.find(',');
        const std::string_view item = trim(rest.substr(0, comma));
        const auto eq = item.find('=');
        TargetSpec t{.name = std::string(trim(item.substr(0, eq)))};
        if (eq != std::string_view::npos) {
          t.address = std::string(trim(item.substr(eq + 1)));
          if (!validTcp(t.address, false) && !parseDnsAddress(t.address)) {
            return bad(key, "target '" + t.name + "': '" + t.address +
                                "' is neither tcp:HOST:PORT nor dns:NAME:PORT (receivers on "
                                "this node are found by name)");
          }
        }
        if (!validFunctionName(t.name)) {
          return bad(key, "'" + std::string(item) +
                              "' is not NAME, NAME=tcp:HOST:PORT or NAME=dns:NAME:PORT (NAME: "
                              "1-64 characters of [A-Za-z0-9_.-])");
        }
        if (!seen.insert(t.name).second) {
          return bad(key, "target '" + t.name + "' is listed twice");
        }
        w.targets.push_back(std::move(t));
        if (comma == std::string_view::npos) {
          break;
        }
        rest.remove_prefix(comma + 1);
      }
    } else if (key == "secret-file") {
      if (!value.starts_with('/')) {
        return bad(key, "'" + value + "' is not an absolute path in the container");
      }
      w.secret_file = value;
    } else if (key == "interpreter") {
      if (value != "true" && value != "false") {
        return bad(key, "'" + value + "' is neither 'true' nor 'false'");
      }
      w.interpreter = value == "true";
    } else if (key == "metrics") {
      if (!validTcp(value, false)) {
        return bad(key, "'" + value + "' is not tcp:HOST:PORT (a port Prometheus can scrape)");
      }
      w.metrics = value;
    } else if (key == "traces") {
      if (!value.starts_with("http://") || !validTcp("tcp:" + value.substr(7), false)) {
        return bad(key, "'" + value + "' is not http://HOST:PORT (an OTLP/HTTP collector)");
      }
      w.traces = value;
    } else if (key == "allow-net") {
      std::string_view rest = value;
      while (true) {
        const auto comma = rest.find(',');
        auto grant = parseNetGrant(trim(rest.substr(0, comma)));
        if (!grant) {
          return bad(key, grant.error().detail);
        }
        w.allow_net.push_back(grant->str());
        if (comma == std::string_view::npos) {
          break;
        }
        rest.remove_prefix(comma + 1);
      }
    } else {
      return bad(key,
                 "unknown key (known: role, name, listen, targets, secret-file, "
                 "interpreter, allow-net, metrics, traces)");
    }
  }
  if (listen_given && !w.receiver) {
    return bad("listen", "only a receiver (roadrunner.io/role: receiver) listens");
  }
  if (!w.metrics.empty() && !w.receiver && w.targets.empty()) {
    return bad("metrics",
               "a function that neither receives nor has targets moves nothing to measure");
  }
  if (!w.traces.empty() && !w.receiver && w.targets.empty()) {
    return bad("traces", "a function that neither receives nor has targets moves nothing to trace");
  }
  if (!validFunctionName(w.name)) {
    return fail(
        Errc::kInvalidArgument, "annotation",
        "the container's name '" + w.name + "' is not a function name; set roadrunner.io/name");
  }
  if (std::ranges::any_of(w.targets, [&](const TargetSpec& t) { return t.name == w.name; })) {
    return bad("targets", "'" + w.name + "' cannot send to itself");
  }
  return w;
}

}  // namespace rr::shim
