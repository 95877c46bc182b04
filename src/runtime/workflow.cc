#include "roadrunner/runtime/workflow.h"

#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "roadrunner/base/file.h"
#include "roadrunner/base/names.h"
#include "roadrunner/base/tcp_address.h"
#include "roadrunner/base/try.h"
#include "roadrunner/base/unix_address.h"

namespace rr::runtime {
namespace {

// ordered_json keeps functions in the order the file declares them (exit status, start order).
using json = nlohmann::ordered_json;

std::unexpected<Error> bad(const std::string& what) {
  return fail(Errc::kMalformedConfig, "workflow", what);
}

std::string resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path.front() == '/' || base_dir.empty()) {
    return path;
  }
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

Result<> checkKeys(const json& obj, const std::string& where,
                   std::initializer_list<const char*> keys) {
  if (!obj.is_object()) {
    return bad(where + ": expected an object");
  }
  for (const auto& [key, value] : obj.items()) {
    if (std::ranges::none_of(keys, [&](const char* k) { return key == k; })) {
      return bad(where + ": unknown key '" + key + "'");
    }
  }
  return {};
}

Result<std::vector<std::string>> stringList(const json& obj, const char* key,
                                            const std::string& where) {
  std::vector<std::string> out;
  if (!obj.contains(key)) {
    return out;
  }
  const json& list = obj.at(key);
  if (!list.is_array()) {
    return bad(where + ": '" + key + "' must be a list of strings");
  }
  for (const json& item : list) {
    if (!item.is_string()) {
      return bad(where + ": '" + key + "' must be a list of strings");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

Result<std::uint64_t> positive(const json& obj, const char* key, const std::string& where,
                               std::uint64_t fallback, std::uint64_t max) {
  if (!obj.contains(key)) {
    return fallback;
  }
  const json& v = obj.at(key);
  if (!v.is_number_unsigned() || v.get<std::uint64_t>() == 0 || v.get<std::uint64_t>() > max) {
    return bad(where + ": '" + key + "' must be a whole number from 1 to " + std::to_string(max));
  }
  return v.get<std::uint64_t>();
}

Result<FunctionSpec> parseFunction(const std::string& name, const json& obj,
                                   const std::string& base_dir) {
  const std::string where = "function '" + name + "'";
  RR_RETURN_IF_ERROR(checkKeys(obj, where,
                               {"wasm", "args", "env", "dirs", "memory_limit_mib", "instances",
                                "max_payload_bytes", "timeout_ms", "network"}));
  FunctionSpec f;
  f.name = name;
  if (!obj.contains("wasm") || !obj.at("wasm").is_string() ||
      obj.at("wasm").get<std::string>().empty()) {
    return bad(where + ": 'wasm' (the module's path) is required");
  }
  f.wasm = resolve(base_dir, obj.at("wasm").get<std::string>());
  RR_ASSIGN_OR_RETURN(f.args, stringList(obj, "args", where));
  if (obj.contains("env")) {
    if (!obj.at("env").is_object()) {
      return bad(where + ": 'env' must map names to strings");
    }
    for (const auto& [k, v] : obj.at("env").items()) {
      if (!v.is_string() || k.empty() || k.find('=') != std::string::npos) {
        return bad(where + ": 'env' must map names to strings");
      }
      f.env.push_back(k + "=" + v.get<std::string>());
    }
  }
  RR_ASSIGN_OR_RETURN(auto dirs, stringList(obj, "dirs", where));
  for (const auto& d : dirs) {
    const auto colon = d.find(':');
    const std::string guest = colon == std::string::npos ? d : d.substr(0, colon);
    const std::string host = colon == std::string::npos ? d : d.substr(colon + 1);
    if (guest.empty() || host.empty()) {
      return bad(where + ": 'dirs' entries are [GUEST:]HOST");
    }
    f.dirs.push_back(guest + ":" + resolve(base_dir, host));
  }
  RR_ASSIGN_OR_RETURN(const auto mib, positive(obj, "memory_limit_mib", where, 0, 4096));
  f.memory_limit_mib = static_cast<std::uint32_t>(mib);
  RR_ASSIGN_OR_RETURN(const auto n, positive(obj, "instances", where, 1, 1024));
  f.instances = static_cast<std::uint32_t>(n);
  RR_ASSIGN_OR_RETURN(const auto timeout, positive(obj, "timeout_ms", where, 0, 86400000));
  f.timeout_ms = static_cast<std::uint32_t>(timeout);
  RR_ASSIGN_OR_RETURN(f.max_payload,
                      positive(obj, "max_payload_bytes", where, f.max_payload, UINT32_MAX));
  RR_ASSIGN_OR_RETURN(const auto network, stringList(obj, "network", where));
  for (const auto& entry : network) {
    auto grant = parseNetGrant(entry);
    if (!grant) {
      return bad(where + ": 'network': " + grant.error().detail);
    }
    f.network.push_back(*grant);
  }
  return f;
}

Result<> checkAcyclic(const Workflow& w) {
  std::map<std::string, std::vector<std::string>> next;
  for (const auto& e : w.edges) {
    next[e.from].push_back(e.to);
  }
  std::map<std::string, int> state;  // 0 new, 1 on the path, 2 done
  std::function<Result<>(const std::string&, std::string)> visit =
      [&](const std::string& node, std::string path) -> Result<> {
    state[node] = 1;
    path += node;
    for (const auto& to : next[node]) {
      if (state[to] == 1) {
        return fail(Errc::kCycle, "workflow", "edges form a cycle: " + path + " -> " + to);
      }
      if (state[to] == 0) {
        RR_RETURN_IF_ERROR(visit(to, path + " -> "));
      }
    }
    state[node] = 2;
    return {};
  };
  for (const auto& f : w.functions) {
    if (state[f.name] == 0) {
      RR_RETURN_IF_ERROR(visit(f.name, ""));
    }
  }
  return {};
}

// How each function receives: embedded (in this process), kernel (its own serving process), or
// not at all (a command). A function's incoming edges must agree, and a served function may only
// send over kernel edges (its process holds no in-process functions).
Result<std::map<std::string, EdgeMode>> receiveModes(const Workflow& w) {
  std::map<std::string, EdgeMode> modes;
  for (const auto& e : w.edges) {
    const auto [it, fresh] = modes.emplace(e.to, e.mode);
    if (!fresh && it->second != e.mode) {
      return fail(Errc::kInvalidArgument, "workflow",
                  "function '" + e.to + "' is reached by edges of different modes (" +
                      modeName(it->second) + ", " + modeName(e.mode) + ")");
    }
  }
  for (const auto& e : w.edges) {
    const auto from = modes.find(e.from);
    if (from != modes.end() && from->second != EdgeMode::kEmbedded &&
        e.mode == EdgeMode::kEmbedded) {
      return fail(Errc::kInvalidArgument, "workflow",
                  "edge " + e.from + " -> " + e.to + ": '" + e.from +
                      "' runs in its own process, so its edges must be 'kernel' or 'network'");
    }
  }
  return modes;
}

}  // namespace

const char* modeName(EdgeMode mode) noexcept {
  switch (mode) {
    case EdgeMode::kEmbedded:
      return "embedded";
    case EdgeMode::kKernel:
      return "kernel";
    case EdgeMode::kNetwork:
      return "network";
  }
  return "?";
}

const FunctionSpec* Workflow::find(std::string_view fn_name) const {
  const auto it = std::ranges::find(functions, fn_name, &FunctionSpec::name);
  return it == functions.end() ? nullptr : &*it;
}

bool Workflow::isReceiver(std::string_view fn_name) const {
  return std::ranges::any_of(edges, [&](const EdgeSpec& e) { return e.to == fn_name; });
}

Result<Workflow> parseWorkflow(std::string_view text, const std::string& base_dir) {
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
  if (doc.is_discarded()) {
    return bad("not valid JSON");
  }
  RR_RETURN_IF_ERROR(checkKeys(doc, "workflow", {"name", "functions", "edges", "secret_file"}));
  Workflow w;
  if (doc.contains("secret_file")) {
    if (!doc.at("secret_file").is_string()) {
      return bad("'secret_file' must be a path");
    }
    w.secret_file = resolve(base_dir, doc.at("secret_file").get<std::string>());
  }
  if (doc.contains("name")) {
    if (!doc.at("name").is_string()) {
      return bad("'name' must be a string");
    }
    w.name = doc.at("name").get<std::string>();
  }
  if (!doc.contains("functions") || !doc.at("functions").is_object() ||
      doc.at("functions").empty()) {
    return bad("'functions' must name at least one function");
  }
  for (const auto& [name, obj] : doc.at("functions").items()) {
    if (!validFunctionName(name)) {
      return bad("function name '" + name + "' must be 1-64 of [A-Za-z0-9_.-]");
    }
    RR_ASSIGN_OR_RETURN(FunctionSpec f, parseFunction(name, obj, base_dir));
    w.functions.push_back(std::move(f));
  }
  if (doc.contains("edges")) {
    if (!doc.at("edges").is_array()) {
      return bad("'edges' must be a list");
    }
    std::set<std::pair<std::string, std::string>> seen;
    for (const json& e : doc.at("edges")) {
      RR_RETURN_IF_ERROR(checkKeys(e, "edge", {"from", "to", "mode", "address"}));
      if (!e.contains("from") || !e.contains("to") || !e.at("from").is_string() ||
          !e.at("to").is_string()) {
        return bad("every edge needs 'from' and 'to'");
      }
      EdgeSpec edge{.from = e.at("from").get<std::string>(), .to = e.at("to").get<std::string>()};
      for (const auto& end : {edge.from, edge.to}) {
        if (w.find(end) == nullptr) {
          return bad("edge " + edge.from + " -> " + edge.to + ": no function named '" + end + "'");
        }
      }
      if (e.contains("mode")) {
        const std::string mode = e.at("mode").is_string() ? e.at("mode").get<std::string>() : "";
        if (mode == "embedded") {
          edge.mode = EdgeMode::kEmbedded;
        } else if (mode == "kernel") {
          edge.mode = EdgeMode::kKernel;
        } else if (mode == "network") {
          edge.mode = EdgeMode::kNetwork;
        } else {
          return bad("edge " + edge.from + " -> " + edge.to +
                     ": mode must be embedded, kernel or network");
        }
      }
      if (e.contains("address")) {
        // A receiver that already runs: over TCP elsewhere (network), or on a UNIX socket on
        // this node (kernel), as the containerd shim wires containers.
        const bool fits = e.at("address").is_string() &&
                          ((edge.mode == EdgeMode::kNetwork &&
                            (parseTcpAddress(e.at("address").get<std::string>()).has_value() ||
                             parseDnsAddress(e.at("address").get<std::string>()).has_value())) ||
                           (edge.mode == EdgeMode::kKernel &&
                            parseUnixAddress(e.at("address").get<std::string>()).has_value()));
        if (!fits) {
          return bad("edge " + edge.from + " -> " + edge.to +
                     ": 'address' (tcp:HOST:PORT or dns:NAME:PORT) belongs to network edges, "
                     "(unix:PATH) to kernel edges");
        }
        edge.address = e.at("address").get<std::string>();
      }
      if (!seen.emplace(edge.from, edge.to).second) {
        return bad("edge " + edge.from + " -> " + edge.to + " is declared twice");
      }
      w.edges.push_back(std::move(edge));
    }
  }
  RR_RETURN_IF_ERROR(checkAcyclic(w));
  return w;
}

bool WorkflowPlan::served(const std::string& name) const {
  const auto it = receive_modes.find(name);
  return it != receive_modes.end() && it->second != EdgeMode::kEmbedded && !remote(name);
}

Result<WorkflowPlan> plan(const Workflow& workflow) {
  WorkflowPlan out;
  RR_ASSIGN_OR_RETURN(out.receive_modes, receiveModes(workflow));
  // Receivers that run elsewhere: every edge into them names the same address.
  for (const auto& e : workflow.edges) {
    if (!e.address.empty()) {
      const auto [it, fresh] = out.remote_address.emplace(e.to, e.address);
      if (!fresh && it->second != e.address) {
        return fail(Errc::kInvalidArgument, "workflow",
                    "function '" + e.to + "' is given two addresses");
      }
    }
  }
  for (const auto& e : workflow.edges) {
    if (out.remote_address.contains(e.to) && e.address.empty()) {
      return fail(Errc::kInvalidArgument, "workflow",
                  "edge " + e.from + " -> " + e.to + ": '" + e.to + "' runs at " +
                      out.remote_address.at(e.to) + "; give this edge that address too");
    }
    if (out.remote_address.contains(e.to) && out.receive_modes.contains(e.from) &&
        out.receive_modes.at(e.from) != EdgeMode::kEmbedded) {
      return fail(Errc::kInvalidArgument, "workflow",
                  "edge " + e.from + " -> " + e.to + ": '" + e.from +
                      "' runs in its own process here and cannot reach a remote receiver; send "
                      "to '" +
                      e.to + "' from a function that is not itself a receiver");
    }
    if (out.remote_address.contains(e.from)) {
      return fail(Errc::kInvalidArgument, "workflow",
                  "edge " + e.from + " -> " + e.to + ": '" + e.from +
                      "' runs elsewhere; declare its edges where it runs");
    }
  }
  return out;
}

Result<Workflow> loadWorkflow(const std::string& path) {
  RR_ASSIGN_OR_RETURN(const auto bytes, readFile(path));
  const std::string text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  auto w = parseWorkflow(text, std::filesystem::path(path).parent_path().string());
  if (!w) {
    Error e = w.error();
    e.detail = path + ": " + e.detail;
    return std::unexpected(std::move(e));
  }
  return w;
}

}  // namespace rr::runtime
