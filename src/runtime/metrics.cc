#include "roadrunner/runtime/metrics.h"

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <exception>
#include <format>
#include <map>
#include <string_view>
#include <utility>

#include "roadrunner/base/log.h"
#include "roadrunner/base/try.h"
#include "roadrunner/host/status.h"
#include "roadrunner/sys/socket.h"
#include "roadrunner/sys/tcp.h"

namespace rr::runtime {
namespace {

using Labels = std::vector<std::pair<std::string_view, std::string>>;

// A label value as the exposition format writes it: backslash, double quote and newline escaped.
std::string escaped(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// "{a="x",b="y"}", or nothing without labels.
std::string labelText(const Labels& labels) {
  std::string out;
  for (const auto& [name, value] : labels) {
    out += out.empty() ? "{" : ",";
    out += std::format("{}=\"{}\"", name, escaped(value));
  }
  return out.empty() ? out : out + "}";
}

// One family at a time: its HELP and TYPE lines, then its samples.
class Exposition {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += std::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  void sample(std::string_view name, const Labels& labels, std::uint64_t value) {
    out_ += std::format("{}{} {}\n", name, labelText(labels), value);
  }
  void sample(std::string_view name, const Labels& labels, double value) {
    out_ += std::format("{}{} {}\n", name, labelText(labels), value);
  }
  void histogram(std::string_view name, Labels labels, const host::LatencyHistogram::Snapshot& s) {
    std::uint64_t cumulative = 0;
    labels.emplace_back("le", "");
    for (std::size_t i = 0; i < s.counts.size(); ++i) {
      cumulative += s.counts[i];
      labels.back().second =
          i < host::kLatencyBucketsNs.size()
              ? std::format("{}", static_cast<double>(host::kLatencyBucketsNs[i]) * 1e-9)
              : "+Inf";
      sample(std::string(name) + "_bucket", labels, cumulative);
    }
    labels.pop_back();
    sample(std::string(name) + "_sum", labels, static_cast<double>(s.sum_ns) * 1e-9);
    sample(std::string(name) + "_count", labels, cumulative);
  }
  [[nodiscard]] std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

Labels edgeLabels(const host::EdgeMetrics& e) {
  return {{"from", e.from}, {"to", e.to}, {"mode", e.mode}};
}

// The status as a label value: "timed out" -> "timed_out".
std::string statusLabel(std::uint32_t status) {
  std::string name = host::statusName(static_cast<host::Status>(status));
  std::ranges::replace(name, ' ', '_');
  return name;
}

using EdgeCounter = std::atomic<std::uint64_t> host::EdgeMetrics::*;

void edgeCounters(Exposition& x, const std::deque<host::EdgeMetrics>& edges) {
  struct Counter {
    const char* name;
    EdgeCounter field;
    const char* help;
  };
  static constexpr std::array kCounters = {
      Counter{"roadrunner_transfer_bytes_total", &host::EdgeMetrics::bytes,
              "Payload bytes of the transfers that succeeded."},
      Counter{"roadrunner_copies_total", &host::EdgeMetrics::copies,
              "Whole copies of payloads the hosts made, counted where each copy was made."},
      Counter{"roadrunner_copied_bytes_total", &host::EdgeMetrics::copied_bytes,
              "Payload bytes the hosts copied."},
      Counter{"roadrunner_moved_bytes_total", &host::EdgeMetrics::moved_bytes,
              "Payload bytes whose pages moved into the receiver, no copy made."},
      Counter{"roadrunner_mapped_bytes_total", &host::EdgeMetrics::mapped_bytes,
              "Payload bytes mapped copy-on-write from a shared buffer, every receiver's summed."}};
  for (const Counter& c : kCounters) {
    x.family(c.name, "counter", c.help);
    for (const auto& e : edges) {
      x.sample(c.name, edgeLabels(e), (e.*c.field).load(std::memory_order_relaxed));
    }
  }
}

void edgeMetrics(Exposition& x, const std::deque<host::EdgeMetrics>& edges) {
  x.family("roadrunner_transfers_total", "counter",
           "Sends over an edge that were delivered or failed, by status.");
  for (const auto& e : edges) {
    for (std::uint32_t s = 0; s < e.by_status.size(); ++s) {
      const std::uint64_t n = e.by_status[s].load(std::memory_order_relaxed);
      if (n > 0 || s == RR_OK) {
        Labels labels = edgeLabels(e);
        labels.emplace_back("status", statusLabel(s));
        x.sample("roadrunner_transfers_total", labels, n);
      }
    }
  }
  edgeCounters(x, edges);
  x.family("roadrunner_transfer_to_handler_seconds", "histogram",
           "Send call to the receiver's handler entry (not for network edges).");
  for (const auto& e : edges) {
    x.histogram("roadrunner_transfer_to_handler_seconds", edgeLabels(e), e.to_handler.snapshot());
  }
  x.family("roadrunner_handler_duration_seconds", "histogram",
           "Handler entry to the receiver having done with the payload.");
  for (const auto& e : edges) {
    x.histogram("roadrunner_handler_duration_seconds", edgeLabels(e), e.handler.snapshot());
  }
}

struct FunctionTotals {
  std::uint64_t instances = 0;
  std::uint64_t deliveries = 0;
  std::uint64_t delivered_bytes = 0;
  std::uint64_t traps = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t exits = 0;
  std::map<std::string, std::uint64_t> guest;  ///< the guests' own counters, by name
};

void functionMetrics(Exposition& x, const std::vector<InstanceReport>& instances) {
  std::map<std::string, FunctionTotals> functions;
  for (const auto& i : instances) {
    FunctionTotals& t = functions[i.name.substr(0, i.name.find('#'))];
    ++t.instances;
    t.deliveries += i.deliveries;
    t.delivered_bytes += i.delivered_bytes;
    t.traps += i.handler_traps;
    t.timeouts += i.handler_timeouts;
    t.exits += i.handler_exits;
    for (const auto& [name, value] : i.guest_counters) {
      t.guest[name] += value;
    }
  }
  const auto each = [&](const char* name, const char* type, const char* help, auto field) {
    x.family(name, type, help);
    for (const auto& [function, t] : functions) {
      x.sample(name, {{"function", function}}, t.*field);
    }
  };
  each("roadrunner_function_instances", "gauge", "Instances of the function in this process.",
       &FunctionTotals::instances);
  each("roadrunner_deliveries_total", "counter", "Messages that reached the function's handler.",
       &FunctionTotals::deliveries);
  each("roadrunner_delivered_bytes_total", "counter", "Payload bytes those messages carried.",
       &FunctionTotals::delivered_bytes);
  each("roadrunner_handler_traps_total", "counter",
       "Handlers that trapped, exited or ran out of time; each replaced its instance.",
       &FunctionTotals::traps);
  each("roadrunner_handler_timeouts_total", "counter",
       "Of the handler traps, those that ran past the function's time limit.",
       &FunctionTotals::timeouts);
  each("roadrunner_handler_exits_total", "counter",
       "Of the handler traps, those that called proc_exit.", &FunctionTotals::exits);
  x.family("roadrunner_guest_counter_total", "counter",
           "What the function counted itself (the add_counter import), by name.");
  for (const auto& [function, t] : functions) {
    for (const auto& [name, value] : t.guest) {
      x.sample("roadrunner_guest_counter_total", {{"function", function}, {"name", name}}, value);
    }
  }
}

void transportMetrics(Exposition& x, const TransportGauges& t) {
  x.family("roadrunner_memfd_pool_bytes", "gauge",
           "Bytes of the pooled memfds kernel-mode sends copy payloads into.");
  x.sample("roadrunner_memfd_pool_bytes", {}, t.memfd_pool_bytes);
  if (t.served.empty()) {
    return;
  }
  x.family("roadrunner_open_connections", "gauge", "Connections the served function has now.");
  x.sample("roadrunner_open_connections", {{"function", t.served}}, t.open_connections);
  x.family("roadrunner_dropped_connections_total", "counter",
           "Connections the server dropped: malformed frames, foreign peers, senders that left "
           "mid-payload.");
  x.sample("roadrunner_dropped_connections_total", {{"function", t.served}}, t.dropped_connections);
}

}  // namespace

std::string renderMetrics(const host::EdgeMetricsSet* edges,
                          const std::vector<InstanceReport>& instances,
                          const TransportGauges& transports) {
  Exposition x;
  if (edges != nullptr && !edges->edges().empty()) {
    edgeMetrics(x, edges->edges());
  }
  functionMetrics(x, instances);
  transportMetrics(x, transports);
  return x.take();
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(transport::Address address,
                                                            Render render) {
  UniqueFd fd;
  if (address.tcp()) {
    RR_ASSIGN_OR_RETURN(fd, sys::listenTcp(address.host, address.port));
    RR_ASSIGN_OR_RETURN(address.port, sys::localPort(fd.get()));
  } else if (!address.dns()) {
    RR_ASSIGN_OR_RETURN(fd, sys::listenUnix(address.path));
  } else {
    return fail(Errc::kInvalidArgument, "metrics", "serves on unix:PATH or tcp:HOST:PORT");
  }
  std::unique_ptr<MetricsServer> server(
      new MetricsServer(std::move(address), std::move(fd), std::move(render)));
  server->thread_ = std::thread([s = server.get()] { s->serve(); });
  return server;
}

MetricsServer::MetricsServer(transport::Address address, UniqueFd listen_fd, Render render)
    : address_(std::move(address)), listen_fd_(std::move(listen_fd)), render_(std::move(render)) {}

MetricsServer::~MetricsServer() { stop(); }

void MetricsServer::stop() {
  if (stopping_.exchange(true)) {
    return;
  }
  ::shutdown(listen_fd_.get(), SHUT_RDWR);  // wakes accept()
  if (thread_.joinable()) {
    thread_.join();
  }
  if (!address_.tcp()) {
    ::unlink(address_.path.c_str());
  }
}

void MetricsServer::serve() {
  while (!stopping_) {
    auto conn = sys::acceptConnection(listen_fd_.get());
    if (!conn) {
      if (stopping_) {
        return;
      }
      RR_LOG_WARN("metrics on {}: {}", address_.str(), conn.error().message());
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // out of descriptors
      continue;
    }
    if (sys::setTimeouts(conn->get(), 2)) {
      answer(conn->get());
    }
  }
}

namespace {

// The request line and headers, up to the blank line that ends them; empty if the client sent
// more than 8 KiB, stalled or left first.
std::string readRequest(int fd) {
  std::string request;
  std::array<char, 1024> chunk{};
  while (request.find("\r\n\r\n") == std::string::npos) {
    const ssize_t n = ::recv(fd, chunk.data(), chunk.size(), 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0 || request.size() + static_cast<std::size_t>(n) > 8192) {
      return {};
    }
    request.append(chunk.data(), static_cast<std::size_t>(n));
  }
  return request;
}

void respond(int fd, std::string_view status, std::string_view body) {
  std::string head = std::format(
      "HTTP/1.1 {}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
      "Content-Length: {}\r\nConnection: close\r\n\r\n",
      status, body.size());
  std::array<iovec, 2> iov = {iovec{head.data(), head.size()},
                              iovec{const_cast<char*>(body.data()), body.size()}};
  (void)sys::sendAll(fd, iov);  // a client that left gets nothing
}

}  // namespace

void MetricsServer::answer(int fd) {
  const std::string request = readRequest(fd);
  if (request.empty()) {
    return;
  }
  const std::string_view line = std::string_view(request).substr(0, request.find("\r\n"));
  const auto sp = line.find(' ');
  const std::string_view method = line.substr(0, sp);
  std::string_view path = sp == std::string_view::npos ? "" : line.substr(sp + 1);
  path = path.substr(0, path.find(' '));
  path = path.substr(0, path.find('?'));
  if (method != "GET") {
    respond(fd, "405 Method Not Allowed", "only GET\n");
  } else if (path != "/metrics") {
    respond(fd, "404 Not Found", "metrics are at /metrics\n");
  } else {
    std::string body;
    try {
      body = render_();
    } catch (const std::exception& e) {  // out of memory: the server thread must not end
      RR_LOG_WARN("metrics on {}: {}", address_.str(), e.what());
      respond(fd, "500 Internal Server Error", "could not render the metrics\n");
      return;
    }
    respond(fd, "200 OK", body);
  }
}

}  // namespace rr::runtime
