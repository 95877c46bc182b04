#include "roadrunner/host/router.h"

#include <algorithm>

namespace rr::host {

void Router::addEndpoint(const std::string& name, Endpoint* endpoint) {
  endpoints_[name].push_back(endpoint);
}

void Router::allow(const std::string& source, const std::string& target, EdgeMetrics* metrics) {
  allowed_[{source, target}] = metrics;
}

void Router::declare(const std::string& name) { declared_.insert(name); }

Router::Route Router::route(std::string_view source, std::string_view target) const {
  const auto it = endpoints_.find(target);
  if (it == endpoints_.end()) {
    // A declared name exists, but nothing here delivers to it: no edge from this router's
    // functions leads there.
    return {.status = declared_.contains(target) ? Status::kNotAllowed : Status::kUnknownTarget};
  }
  // std::pair<string,string> compares with pair<string_view,string_view> through std::less<>.
  const auto allowed = allowed_.find(std::pair{std::string(source), std::string(target)});
  if (allowed == allowed_.end()) {
    return {.status = Status::kNotAllowed};
  }
  return {.status = Status::kOk, .endpoints = &it->second, .metrics = allowed->second};
}

bool Router::reachesOnlyThisProcess(std::string_view source) const {
  // allowed_ is ordered by (source, target): the edges from `source` are one run of it.
  for (auto it = allowed_.lower_bound(std::pair{std::string(source), std::string()});
       it != allowed_.end() && it->first.first == source; ++it) {
    const auto endpoints = endpoints_.find(it->first.second);
    if (endpoints == endpoints_.end() ||
        !std::ranges::all_of(endpoints->second, [](const Endpoint* e) { return e->inProcess(); })) {
      return false;
    }
  }
  return true;
}

}  // namespace rr::host
