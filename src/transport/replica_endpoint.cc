#include "roadrunner/transport/replica_endpoint.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <random>
#include <set>
#include <utility>

#include "roadrunner/base/log.h"

namespace rr::transport {
namespace {

constexpr std::size_t kMaxRetired = 64;

}  // namespace

ReplicaEndpoint::Resolve ReplicaEndpoint::dnsResolver(std::string name, std::uint16_t port) {
  return [name = std::move(name), port]() -> Result<std::vector<Address>> {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (const int rc = ::getaddrinfo(name.c_str(), nullptr, &hints, &found); rc != 0) {
      return fail(Errc::kNotFound, "resolve", name + ": " + ::gai_strerror(rc));
    }
    std::set<std::string> hosts;  // sorted and unique: a stable order for the turns
    for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
      std::array<char, INET_ADDRSTRLEN> text{};
      const auto* in = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
      if (::inet_ntop(AF_INET, &in->sin_addr, text.data(), text.size()) != nullptr) {
        hosts.emplace(text.data());
      }
    }
    ::freeaddrinfo(found);
    std::vector<Address> addresses;
    addresses.reserve(hosts.size());
    for (const auto& host : hosts) {
      addresses.push_back({.kind = Address::Kind::kTcp, .host = host, .port = port});
    }
    return addresses;
  };
}

ReplicaEndpoint::ReplicaEndpoint(std::string display, Resolve resolve, std::string target,
                                 ReplicaEndpointOptions options)
    : display_(std::move(display)),
      resolve_(std::move(resolve)),
      target_(std::move(target)),
      options_(std::move(options)),
      // Senders that each send a little (one per process) still spread over the replicas.
      next_(std::random_device()()) {}

ReplicaEndpoint::~ReplicaEndpoint() = default;

void ReplicaEndpoint::refresh(bool force) {
  {
    const std::scoped_lock lock(mutex_);
    const bool stale = !resolved_ || Clock::now() - resolved_at_ >= options_.refresh;
    // One thread resolves while the others go on with the replicas known; before the first
    // answer there are none, so every thread asks.
    if ((!stale && !force) || (resolving_ && resolved_)) {
      return;
    }
    resolving_ = true;
  }
  auto addresses = resolve_();  // DNS may take seconds: never under the lock
  const std::scoped_lock lock(mutex_);
  resolving_ = false;
  resolved_ = true;
  resolved_at_ = Clock::now();
  if (!addresses) {
    // A resolver that fails (DNS down) keeps the replicas it knew; the name is asked again at
    // the next refresh.
    RR_LOG_WARN("send to {} ({}): {}", target_, display_, addresses.error().message());
    return;
  }
  merge(std::move(*addresses));
}

void ReplicaEndpoint::merge(std::vector<Address> addresses) {
  if (addresses.size() > options_.max_replicas) {
    RR_LOG_WARN("send to {} ({}): {} replicas resolved; the first {} are used", target_, display_,
                addresses.size(), options_.max_replicas);
    addresses.resize(options_.max_replicas);
  }
  std::vector<Replica> next;
  for (auto& address : addresses) {
    auto same = std::ranges::find_if(
        replicas_, [&](const Replica& r) { return r.address.str() == address.str(); });
    if (same != replicas_.end()) {
      next.push_back(std::move(*same));
      continue;
    }
    RR_LOG_INFO("send to {} ({}): replica {} joins", target_, display_, address.str());
    auto endpoint = std::make_shared<SocketEndpoint>(address, target_, options_.socket);
    next.push_back({.address = std::move(address), .endpoint = std::move(endpoint)});
  }
  for (auto& old : replicas_) {
    if (old.endpoint) {
      RR_LOG_INFO("send to {} ({}): replica {} leaves", target_, display_, old.address.str());
      retired_.push_back(std::move(old.endpoint));
    }
  }
  if (retired_.size() > kMaxRetired) {
    retired_.erase(retired_.begin(),
                   retired_.begin() + static_cast<std::ptrdiff_t>(retired_.size() - kMaxRetired));
  }
  replicas_ = std::move(next);
}

std::vector<std::shared_ptr<SocketEndpoint>> ReplicaEndpoint::candidates(bool force) {
  refresh(force);
  const std::scoped_lock lock(mutex_);
  std::vector<std::shared_ptr<SocketEndpoint>> live;
  std::vector<std::shared_ptr<SocketEndpoint>> down;
  const auto now = Clock::now();
  const std::size_t n = replicas_.size();
  for (std::size_t i = 0; i < n; ++i) {
    const Replica& r = replicas_[(next_ + i) % n];
    (r.down_until > now ? down : live).push_back(r.endpoint);
  }
  next_ = n == 0 ? 0 : (next_ + 1) % n;
  live.insert(live.end(), down.begin(), down.end());
  return live;
}

void ReplicaEndpoint::markDown(const SocketEndpoint* endpoint) {
  const std::scoped_lock lock(mutex_);
  for (auto& r : replicas_) {
    if (r.endpoint.get() == endpoint) {
      r.down_until = Clock::now() + options_.down_for;
    }
  }
}

host::DeliveryResult ReplicaEndpoint::deliverOnce(const host::Delivery& delivery, bool force) {
  host::DeliveryResult result{.status = host::Status::kUnavailable, .not_sent = true};
  auto tries = candidates(force);
  tries.resize(std::min(tries.size(), options_.max_tries));
  for (const auto& endpoint : tries) {
    result = endpoint->deliver(delivery);
    if (!result.not_sent) {
      return result;  // delivered, or failed after the bytes left: never sent again
    }
    markDown(endpoint.get());
  }
  return result;
}

bool ReplicaEndpoint::readyForChunk(std::uint64_t stream_id) {
  std::shared_ptr<SocketEndpoint> endpoint;
  {
    const std::scoped_lock lock(mutex_);
    if (const auto it = pinned_.find(stream_id); it != pinned_.end()) {
      endpoint = it->second;
    }
  }
  return !endpoint || endpoint->readyForChunk(stream_id);
}

host::DeliveryResult ReplicaEndpoint::deliverStream(const host::Delivery& delivery) {
  const std::uint64_t id = delivery.stream.id;
  const bool last = delivery.stream.event != host::StreamEvent::kData;
  std::shared_ptr<SocketEndpoint> endpoint;
  {
    const std::scoped_lock lock(mutex_);
    if (const auto it = pinned_.find(id); it != pinned_.end()) {
      endpoint = it->second;
      if (last) {
        pinned_.erase(it);
      }
    }
  }
  if (endpoint) {
    host::DeliveryResult result = endpoint->deliver(delivery);
    if (result.status != host::Status::kOk && !last) {
      const std::scoped_lock lock(mutex_);
      pinned_.erase(id);  // the stream failed: its next event finds no replica
    }
    return result;
  }
  if (delivery.stream.seq > 0) {
    // Its replica failed it before: an abort has nothing left to reach.
    return {.status = delivery.stream.event == host::StreamEvent::kAbort
                          ? host::Status::kOk
                          : host::Status::kUnavailable};
  }
  host::DeliveryResult result{.status = host::Status::kUnavailable, .not_sent = true};
  for (const bool force : {false, true}) {
    auto tries = candidates(force);
    tries.resize(std::min(tries.size(), options_.max_tries));
    for (const auto& candidate : tries) {
      result = candidate->deliver(delivery);
      if (!result.not_sent) {
        if (result.status == host::Status::kOk && !last) {
          const std::scoped_lock lock(mutex_);
          pinned_[id] = candidate;
        }
        return result;
      }
      markDown(candidate.get());
    }
  }
  return result;
}

void ReplicaEndpoint::deliverAsync(const host::Delivery& delivery, host::Completion& completion) {
  if (delivery.stream.event != host::StreamEvent::kNone) {
    completion.done(deliverStream(delivery));
    return;
  }
  host::DeliveryResult result = deliverOnce(delivery, false);
  if (result.not_sent) {
    // No replica took it: the set may have changed since the last resolution.
    result = deliverOnce(delivery, true);
  }
  if (result.not_sent) {
    RR_LOG_WARN("send to {} ({}): no replica could be reached", target_, display_);
  }
  completion.done(result);
}

std::vector<std::string> ReplicaEndpoint::replicas() {
  refresh(false);
  const std::scoped_lock lock(mutex_);
  std::vector<std::string> out;
  out.reserve(replicas_.size());
  for (const auto& r : replicas_) {
    out.push_back(r.address.str());
  }
  return out;
}

}  // namespace rr::transport
