#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "roadrunner/base/error.h"
#include "roadrunner/base/net_grant.h"

namespace rr::runtime {

/// One function of a workflow. Paths are resolved against the workflow file's directory.
struct FunctionSpec {
  std::string name;
  std::string wasm;
  std::vector<std::string> args;           ///< after the program name
  std::vector<std::string> env;            ///< "KEY=VALUE"
  std::vector<std::string> dirs;           ///< "GUEST:HOST"
  std::uint32_t memory_limit_mib = 0;      ///< 0: WasmEdge's default (4 GiB)
  std::uint32_t instances = 1;             ///< > 1: a fan-out group "name#0".."name#N-1"
  std::uint64_t max_payload = 1ULL << 31;  ///< larger deliveries are refused
  std::uint32_t timeout_ms = 0;            ///< per-invocation limit for its handler (0: none)
  /// TCP addresses its guest may use through WASI sockets (`"network"`); empty: no sockets.
  std::vector<NetGrant> network;
};

enum class EdgeMode { kEmbedded, kKernel, kNetwork };

/// `from` may send to `to`. With `to` a group, a send reaches every instance (fan-out); with
/// `from` a group, each instance may send (fan-in).
struct EdgeSpec {
  std::string from;
  std::string to;
  EdgeMode mode = EdgeMode::kEmbedded;
  /// Network edges only: "tcp:HOST:PORT" of a receiver that runs elsewhere (another node's
  /// `roadrunner serve`); empty: the receiver is started here, on loopback.
  std::string address;
};

struct Workflow {
  std::string name;
  /// The shared secret for network edges to remote receivers (else $RR_SECRET).
  std::string secret_file;
  std::vector<FunctionSpec> functions;
  std::vector<EdgeSpec> edges;

  [[nodiscard]] const FunctionSpec* find(std::string_view name) const;
  [[nodiscard]] bool isReceiver(std::string_view name) const;
};

/// Parses and checks a workflow (JSON; format in docs/workflows.md): unknown keys, missing
/// fields, unknown functions in edges, duplicate names and cycles are errors naming the culprit.
[[nodiscard]] Result<Workflow> parseWorkflow(std::string_view text, const std::string& base_dir);
/// Reads `path` and parses it; relative paths inside resolve against its directory.
[[nodiscard]] Result<Workflow> loadWorkflow(const std::string& path);

[[nodiscard]] const char* modeName(EdgeMode mode) noexcept;

/// Where each function of a parsed workflow runs, decided from the edges that reach it
/// (ARCHITECTURE.md, "Served functions").
struct WorkflowPlan {
  /// Every receiver, by the one mode of all the edges that reach it. Commands are absent.
  std::map<std::string, EdgeMode> receive_modes;
  /// Remote receivers (they run elsewhere): the one address every edge into them gives.
  std::map<std::string, std::string> remote_address;

  /// A receiver reached over kernel or network edges that runs here, in its own process.
  [[nodiscard]] bool served(const std::string& name) const;
  [[nodiscard]] bool remote(const std::string& name) const { return remote_address.contains(name); }
};

/// Checks what a runner needs beyond the parser's checks and decides where each function runs.
/// Errors (Errc::kInvalidArgument, naming the function or edge): a function reached by edges of
/// different modes or given two addresses; an embedded edge from a function that runs in its own
/// process; an edge into a remote receiver without its address, from a served function, or out
/// of a remote receiver. Pure: it starts, reads and opens nothing.
[[nodiscard]] Result<WorkflowPlan> plan(const Workflow& workflow);

}  // namespace rr::runtime
