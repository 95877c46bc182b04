#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "roadrunner/host/edge_metrics.h"
#include "roadrunner/host/endpoint.h"

namespace rr::host {

/// Which function may send to which, and where each name is delivered. Built once before any
/// function runs, read-only afterwards (so lookups need no lock). Lookup is O(log n) in the
/// number of declared names; nothing touches the filesystem.
///
/// A name may stand for several endpoints (a fan-out group): a send to it reaches each of them.
class Router {
 public:
  /// Registers `endpoint` under `name`. The router borrows it; it must outlive the router's use.
  void addEndpoint(const std::string& name, Endpoint* endpoint);
  /// Declares that `source` may send to `target`; its sends there are counted in `metrics`
  /// (borrowed, may be null).
  void allow(const std::string& source, const std::string& target, EdgeMetrics* metrics = nullptr);
  /// Records that a receiver called `name` exists in the workflow although it has no endpoint
  /// in this router (a served function's router holds only the targets of its own edges). A
  /// send to it gets kNotAllowed, as where the name has an endpoint but no edge leads to it,
  /// instead of kUnknownTarget.
  void declare(const std::string& name);

  /// The endpoints `source` reaches by sending to `target`, or why it cannot.
  struct Route {
    Status status = Status::kOk;
    const std::vector<Endpoint*>* endpoints = nullptr;
    EdgeMetrics* metrics = nullptr;  ///< where the send is counted, if anywhere
  };
  [[nodiscard]] Route route(std::string_view source, std::string_view target) const;

  /// Whether every edge from `source` leads to endpoints in this process only (Endpoint::
  /// inProcess), so that its shared buffers never need to cross to another process. An edge to a
  /// name with no endpoint here answers no.
  [[nodiscard]] bool reachesOnlyThisProcess(std::string_view source) const;
  [[nodiscard]] bool hasEndpoint(std::string_view name) const {
    return endpoints_.find(name) != endpoints_.end();
  }

 private:
  std::map<std::string, std::vector<Endpoint*>, std::less<>> endpoints_;
  std::map<std::pair<std::string, std::string>, EdgeMetrics*, std::less<>> allowed_;
  std::set<std::string, std::less<>> declared_;
};

}  // namespace rr::host
