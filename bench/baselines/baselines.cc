#include "baselines.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include <hiredis/hiredis.h>
#include <httplib.h>
#include <openssl/evp.h>

#include "roadrunner/base/try.h"
#include "roadrunner/base/unique_fd.h"
#include "roadrunner/sys/pipe.h"
#include "roadrunner/sys/socket.h"
#include "roadrunner/sys/subprocess.h"
#include "roadrunner/sys/tcp.h"

#include "../guests/bench_payload.h"
#include "../guests/bench_utf8.hpp"
#include "../harness/measure.h"
#include "../harness/test_link.h"

namespace rr::bench {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

// Payload copies in user space on the way, by construction of each program (the kernel's copies
// into and out of socket buffers included): JSON + base64 encode, dump, send, receive (httplib's
// body string), the JSON parser's token and value strings, base64 decode; raw: send and receive;
// redis: send, the server's buffer, the server's reply, receive.
constexpr int kJsonCopies = 7;
constexpr int kRawCopies = 2;
constexpr int kRedisCopies = 4;

std::uint8_t* bytesOf(std::string& s) { return reinterpret_cast<std::uint8_t*>(s.data()); }

double nowSeconds() {
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

// The payload buffer, filled with the paper's recipe; each round stamps and seals it.
std::string payloadOf(std::uint64_t size) {
  std::string s(size, '\0');
  bench_fill(bytesOf(s), static_cast<std::uint32_t>(size));
  return s;
}

std::uint64_t stampRound(std::string& payload, int round) {
  return bench_stamp(bytesOf(payload), static_cast<std::uint32_t>(payload.size()),
                     static_cast<std::uint32_t>(round));
}

// What a consumer reports for one round: when it held the payload and when it had checked every
// byte (CLOCK_MONOTONIC seconds), whether the seal was whole and what it said.
struct Receipt {
  double held = 0, consumed = 0, decode_s = 0;
  std::uint64_t whole = 0, seal = 0;
};

Receipt check(const std::uint8_t* p, std::size_t n, double held, double decode_s) {
  Receipt r{.held = held, .decode_s = decode_s};
  r.whole = static_cast<std::uint64_t>(bench_check(p, static_cast<std::uint32_t>(n), &r.seal));
  r.consumed = nowSeconds();
  return r;
}

std::string base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string unbase64(const std::string& in) {
  std::string out(3 * in.size() / 4, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) {
    return {};
  }
  std::size_t pad = 0;
  for (auto it = in.rbegin(); it != in.rend() && *it == '='; ++it) {
    ++pad;
  }
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

// A free loopback port: bind to port 0, read it, close (the consumer binds it right after).
std::uint16_t freePort() {
  auto fd = sys::listenTcp("127.0.0.1", 0);
  return fd ? sys::localPort(fd->get()).value_or(0) : 0;
}

// A round's windows from the producer's t0, and whether its receipt is this round's.
struct Rounds {
  Windows windows;
  std::vector<double> serialization;
  bool verified = true;

  void add(double t0, double encode_s, double t_end, const Receipt& r, std::uint64_t seal) {
    windows.to_handler.push_back(r.held - t0);
    windows.consumed.push_back(r.consumed - t0);
    windows.round.push_back(t_end - t0);
    if (windows.round.size() > 1) {  // round 0 is reported on its own
      serialization.push_back(encode_s + r.decode_s);
    }
    verified = verified && r.whole == 1 && r.seal == seal;
  }
};

// One row; `fanout` > 0 makes it a fan-out row to that many consumers.
json result(const std::string& system, std::uint64_t size, const Rounds& rounds, int runs,
            const rusage& before, const rusage& after, std::uint64_t peak_rss_bytes, int copies,
            std::uint32_t fanout = 0) {
  const auto cpu = [](const timeval& a, const timeval& b) {
    return static_cast<double>(b.tv_sec - a.tv_sec) +
           static_cast<double>(b.tv_usec - a.tv_usec) * 1e-6;
  };
  json row{{"system", system},
           {"workload", fanout > 0 ? "fanout" : "chain"},
           {"payload_bytes", size},
           {"fanout", std::max(fanout, 1U)},
           {"serialization_s", summarize(rounds.serialization).median},
           {"cpu_user_s", cpu(before.ru_utime, after.ru_utime)},
           {"cpu_sys_s", cpu(before.ru_stime, after.ru_stime)},
           {"peak_rss_bytes", peak_rss_bytes},
           // Not observed: these programs are not instrumented, so `copies` is null and the
           // count their construction implies is labelled as such.
           {"copies", nullptr},
           {"copies_by_construction", copies},
           {"verified", rounds.verified &&
                            rounds.windows.consumed.size() == static_cast<std::size_t>(runs) + 1}};
  addWindows(row, rounds.windows);
  const double med = row["consumed_s"]["median"].get<double>();
  row["transfer_s"] = med - row["serialization_s"].get<double>();
  row["throughput_MBps"] =
      med > 0 ? static_cast<double>(size) * std::max(fanout, 1U) / med / 1e6 : 0.0;
  return row;
}

// CPU time of this process plus reaped children (peak RSS is taken per process instead).
rusage usage() {
  rusage self{};
  rusage children{};
  ::getrusage(RUSAGE_SELF, &self);
  ::getrusage(RUSAGE_CHILDREN, &children);
  const auto add = [](timeval& a, const timeval& b) {
    a.tv_sec += b.tv_sec;
    a.tv_usec += b.tv_usec;
  };
  add(self.ru_utime, children.ru_utime);
  add(self.ru_stime, children.ru_stime);
  return self;
}

// Reaps a forked child, killing it if it has not exited within `deadline`; returns its own peak
// RSS in bytes (wait4: that child alone).
std::uint64_t reapPeakRss(pid_t pid,
                          std::chrono::milliseconds deadline = std::chrono::seconds(60)) {
  rusage child{};
  const auto give_up = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    const pid_t r = ::wait4(pid, nullptr, WNOHANG, &child);
    if (r == pid || (r < 0 && errno != EINTR)) {
      break;
    }
    if (r == 0 && std::chrono::steady_clock::now() >= give_up) {
      ::kill(pid, SIGKILL);
      while (::wait4(pid, nullptr, 0, &child) < 0 && errno == EINTR) {
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return static_cast<std::uint64_t>(child.ru_maxrss) * 1024;
}

// Test hook (RR_BENCH_CORRUPT_FOR_TEST): a consumer changes one byte of what it received before
// checking it, which must make the row unverified.
void corruptForTest(std::uint8_t* p, std::size_t n) {
  if (n > 0 && std::getenv("RR_BENCH_CORRUPT_FOR_TEST") != nullptr) {
    p[n / 2] ^= 0x01;
  }
}

std::string receiptJson(const Receipt& r) {
  return json{{"held", r.held},
              {"consumed", r.consumed},
              {"decode_s", r.decode_s},
              {"whole", r.whole},
              {"seal", r.seal}}
      .dump();
}

Receipt parseReceipt(const std::string& body) {
  const json j = json::parse(body, nullptr, false);
  if (!j.is_object()) {
    return {};
  }
  return {.held = j.value("held", 0.0),
          .consumed = j.value("consumed", 0.0),
          .decode_s = j.value("decode_s", 0.0),
          .whole = j.value("whole", std::uint64_t{0}),
          .seal = j.value("seal", std::uint64_t{0})};
}

// Forks a consumer that runs `serve(port, ready_fd)`; returns its pid once it reports ready.
template <typename Serve>
Result<pid_t> startConsumer(Serve serve) {
  auto ready = sys::makePipe();
  if (!ready) {
    return std::unexpected(ready.error());
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    return failErrno("fork");
  }
  if (pid == 0) {
    ready->read_end.reset();
    serve(ready->write_end.get());
    ::_exit(0);
  }
  ready->write_end.reset();
  char r = 0;
  if (::read(ready->read_end.get(), &r, 1) != 1) {
    ::kill(pid, SIGKILL);
    (void)reapPeakRss(pid);
    return fail(Errc::kTimedOut, "bench", "a baseline consumer did not start");
  }
  return pid;
}

// native-http: cpp-httplib and nlohmann-json, the payload as JSON {"data": base64}.
Result<json> nativeHttp(std::uint64_t size, int runs) {
  const std::uint16_t port = freePort();
  const rusage before = usage();
  resetPeakRss();
  RR_ASSIGN_OR_RETURN(
      const pid_t pid, startConsumer([port](int ready) {
        httplib::Server server;
        server.Post("/data", [](const httplib::Request& req, httplib::Response& res) {
          const double t0 = nowSeconds();
          const json doc = json::parse(req.body, nullptr, false);
          std::string bytes = doc.is_object() && doc.contains("data")
                                  ? unbase64(doc["data"].get<std::string>())
                                  : "";
          const double held = nowSeconds();  // the consumer holds the bytes
          corruptForTest(bytesOf(bytes), bytes.size());
          res.set_content(receiptJson(check(bytesOf(bytes), bytes.size(), held, held - t0)),
                          "application/json");
        });
        // Ready once bound: the kernel queues connections from then on.
        if (!server.bind_to_port("127.0.0.1", port) || ::write(ready, "r", 1) != 1) {
          ::_exit(1);
        }
        server.listen_after_bind();
      }));
  Rounds rounds;
  std::string payload = payloadOf(size);
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(600, 0);
  client.set_write_timeout(600, 0);
  for (int i = 0; i <= runs; ++i) {
    const std::uint64_t seal = stampRound(payload, i);
    const double t0 = nowSeconds();
    const std::string body = json{{"data", base64(payload)}}.dump();
    const double encoded = nowSeconds();
    auto res = client.Post("/data", body, "application/json");
    const double t_end = nowSeconds();
    if (!res || res->status != 200) {
      rounds.verified = false;
      break;
    }
    rounds.add(t0, encoded - t0, t_end, parseReceipt(res->body), seal);
  }
  ::kill(pid, SIGKILL);
  const std::uint64_t server_peak = reapPeakRss(pid);
  // The client (this process) and the server, each its own peak.
  return result("native-http", size, rounds, runs, before, usage(), peakRss() + server_peak,
                kJsonCopies);
}

// Reads an HTTP/1.1 request's head from `fd` (at most 8 KiB) into `head`; what followed it is
// left at the end of `head` after `head_len`. Returns the Content-Length, or -1.
long long readHead(int fd, std::string& head, std::size_t* head_len) {
  head.clear();
  char chunk[4096];
  while (head.size() < 8192) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) {
      return -1;
    }
    head.append(chunk, static_cast<std::size_t>(n));
    if (const auto end = head.find("\r\n\r\n"); end != std::string::npos) {
      *head_len = end + 4;
      const auto at = head.find("Content-Length: ");
      return at == std::string::npos || at > end
                 ? -1
                 : std::strtoll(head.c_str() + at + 16, nullptr, 10);
    }
  }
  return -1;
}

// native-http-raw's consumer: one connection; each request's body is read straight into one
// buffer sized from Content-Length (kept between requests, as a server's would be), validated
// as UTF-8, checked, and answered with the receipt.
[[noreturn]] void serveRaw(int listener, std::uint64_t size) {
  auto conn = sys::acceptConnection(listener);
  if (!conn) {
    ::_exit(1);
  }
  (void)sys::setNoDelay(conn->get());
  std::string body(size, '\0');
  std::string head;
  for (;;) {
    std::size_t head_len = 0;
    const long long length = readHead(conn->get(), head, &head_len);
    if (length < 0 || static_cast<std::uint64_t>(length) != size) {
      ::_exit(length < 0 ? 0 : 1);  // the producer closed, or a request we cannot take
    }
    const std::size_t early = std::min(head.size() - head_len, body.size());
    std::memcpy(body.data(), head.data() + head_len, early);
    for (std::size_t got = early; got < size;) {
      const ssize_t n = ::read(conn->get(), body.data() + got, size - got);
      if (n <= 0) {
        ::_exit(1);
      }
      got += static_cast<std::size_t>(n);
    }
    const double t0 = nowSeconds();
    const bool text = ::bench::validUtf8(body);
    const double held = nowSeconds();  // the consumer holds a validated string
    corruptForTest(bytesOf(body), body.size());
    Receipt r = check(bytesOf(body), body.size(), held, held - t0);
    r.whole = r.whole != 0 && text ? 1 : 0;
    const std::string answer = receiptJson(r);
    const std::string reply =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
        std::to_string(answer.size()) + "\r\n\r\n" + answer;
    if (::write(conn->get(), reply.data(), reply.size()) != static_cast<ssize_t>(reply.size())) {
      ::_exit(1);
    }
  }
}

// Sends one raw request: head and payload in one writev, no copy of the payload.
bool sendRaw(int fd, const std::string& payload) {
  const std::string head =
      "POST /data HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
      "application/octet-stream\r\nContent-Length: " +
      std::to_string(payload.size()) + "\r\n\r\n";
  std::array<iovec, 2> iov = {iovec{const_cast<char*>(head.data()), head.size()},
                              iovec{const_cast<char*>(payload.data()), payload.size()}};
  return sys::sendAll(fd, iov).has_value();
}

// Reads one response and the receipt in its body.
bool readReceipt(int fd, Receipt* receipt) {
  std::string response;
  std::size_t head_len = 0;
  const long long length = readHead(fd, response, &head_len);
  if (length < 0 || !response.starts_with("HTTP/1.1 200 ")) {
    return false;
  }
  while (response.size() < head_len + static_cast<std::size_t>(length)) {
    char chunk[512];
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) {
      return false;
    }
    response.append(chunk, static_cast<std::size_t>(n));
  }
  *receipt = parseReceipt(response.substr(head_len, static_cast<std::size_t>(length)));
  return true;
}

// Forked consumers, each killed and reaped by the destructor unless reaped before.
struct Consumers {
  std::vector<pid_t> pids;
  Consumers() = default;
  Consumers(const Consumers&) = delete;
  Consumers& operator=(const Consumers&) = delete;
  Consumers(Consumers&&) = delete;
  Consumers& operator=(Consumers&&) = delete;
  /// Waits for every consumer to exit; returns the sum of their own peak RSS.
  std::uint64_t reap() {
    std::uint64_t sum = 0;
    for (const pid_t pid : std::exchange(pids, {})) {
      sum += reapPeakRss(pid);
    }
    return sum;
  }
  ~Consumers() {
    for (const pid_t pid : pids) {
      ::kill(pid, SIGKILL);
    }
    (void)reap();
  }
};

// native-http-raw: native processes, the raw bytes as an HTTP/1.1 body on loopback, UTF-8
// validated on receipt: the paper's container baseline, with a receive path that copies once.
// With `fanout` > 0, that many consumers: each round goes to every one in turn, over its own
// connection, then every receipt is read; the round's windows end at the last consumer.
Result<json> nativeHttpRaw(std::uint64_t size, int runs, std::uint32_t fanout,
                           const Placement& at) {
  // The consumers accept on a listener made where they run; they inherit its namespace.
  RR_ASSIGN_OR_RETURN(UniqueFd listener, listenTcpIn(at.netns, at.host));
  RR_ASSIGN_OR_RETURN(const std::uint16_t port, sys::localPort(listener.get()));
  const rusage before = usage();
  resetPeakRss();
  Consumers consumers;
  std::vector<UniqueFd> conns;
  for (std::uint32_t k = 0; k < std::max(fanout, 1U); ++k) {
    RR_ASSIGN_OR_RETURN(const pid_t pid, startConsumer([&](int ready) {
                          // The child's copies of the producer's ends of earlier consumers'
                          // connections: kept open, a consumer that accepted one of those
                          // (they share the listener) would never see it end.
                          conns.clear();
                          if (::write(ready, "r", 1) != 1) {
                            ::_exit(1);
                          }
                          serveRaw(listener.get(), size);
                        }));
    consumers.pids.push_back(pid);
    RR_ASSIGN_OR_RETURN(UniqueFd conn, sys::connectTcp(at.host, port, 5000));
    conns.push_back(std::move(conn));
  }
  listener.reset();
  Rounds rounds;
  std::string payload = payloadOf(size);
  for (int i = 0; i <= runs && rounds.verified; ++i) {
    const std::uint64_t seal = stampRound(payload, i);
    const double t0 = nowSeconds();
    Receipt last{.whole = 1, .seal = seal};
    for (const UniqueFd& c : conns) {
      rounds.verified = rounds.verified && sendRaw(c.get(), payload);
    }
    for (const UniqueFd& c : conns) {
      Receipt r;
      rounds.verified = rounds.verified && readReceipt(c.get(), &r);
      last = {.held = std::max(last.held, r.held),
              .consumed = std::max(last.consumed, r.consumed),
              .decode_s = std::max(last.decode_s, r.decode_s),
              .whole = last.whole & r.whole,
              .seal = r.seal == seal ? last.seal : 0};
    }
    if (rounds.verified) {
      rounds.add(t0, 0.0, nowSeconds(), last, seal);
    }
  }
  conns.clear();  // the consumers see the end and exit
  const std::uint64_t consumer_peak = consumers.reap();
  return result("native-http-raw", size, rounds, runs, before, usage(), peakRss() + consumer_peak,
                kRawCopies, fanout);
}

// The consumer of the redis baseline: GETs the payload whenever told to, checks it in place in
// hiredis's reply, and writes its Receipt to `done`.
[[noreturn]] void redisConsumer(std::uint16_t port, int go, int done) {
  redisContext* c = redisConnect("127.0.0.1", port);
  char b = 0;
  while (c != nullptr && c->err == 0 && ::read(go, &b, 1) == 1) {
    auto* reply = static_cast<redisReply*>(redisCommand(c, "GET payload"));
    const double held = nowSeconds();
    Receipt r;
    if (reply != nullptr && reply->type == REDIS_REPLY_STRING) {
      auto* p = reinterpret_cast<std::uint8_t*>(reply->str);
      corruptForTest(p, reply->len);
      r = check(p, reply->len, held, 0.0);
    }
    freeReplyObject(reply);
    if (::write(done, &r, sizeof r) != sizeof r) {
      break;
    }
  }
  redisFree(c);
  ::_exit(0);
}

Result<json> redis(std::uint64_t size, int runs) {
  const std::uint16_t port = freePort();
  std::vector<std::string> args = {
      "redis-server", "--port", std::to_string(port),   "--bind", "127.0.0.1",  "--save", "",
      "--appendonly", "no",     "--proto-max-bulk-len", "2gb",    "--loglevel", "warning"};
  const rusage before = usage();
  resetPeakRss();
  std::uint64_t consumer_peak = 0;
  const UniqueFd quiet(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  auto server = port == 0 || !quiet.valid()
                    ? failErrno("redis", EINVAL)
                    : sys::Subprocess::spawn({.argv = std::move(args),
                                              .search_path = true,
                                              .fds = {{quiet.get(), 1}, {quiet.get(), 2}}});
  if (!server) {
    return fail(Errc::kNotFound, "redis", "cannot start redis-server (is it installed?)");
  }
  redisContext* producer = nullptr;
  for (int i = 0; i < 200 && producer == nullptr; ++i) {
    redisContext* c = redisConnect("127.0.0.1", port);
    if (c != nullptr && c->err == 0) {
      producer = c;
    } else {
      redisFree(c);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // redis-server starting up
    }
  }
  Rounds rounds;
  rounds.verified = producer != nullptr;
  auto go = sys::makePipe();
  auto done = sys::makePipe();
  if (producer != nullptr && go && done) {
    const pid_t consumer = ::fork();
    if (consumer == 0) {
      go->write_end.reset();  // so the parent closing its end ends our loop
      done->read_end.reset();
      redisConsumer(port, go->read_end.get(), done->write_end.get());
    }
    go->read_end.reset();
    done->write_end.reset();
    std::string payload = payloadOf(size);
    for (int i = 0; i <= runs; ++i) {
      const std::uint64_t seal = stampRound(payload, i);
      const double t0 = nowSeconds();
      auto* reply = static_cast<redisReply*>(
          redisCommand(producer, "SET payload %b", payload.data(), payload.size()));
      const bool stored = reply != nullptr && reply->type == REDIS_REPLY_STATUS;
      freeReplyObject(reply);
      Receipt r;
      if (!stored || ::write(go->write_end.get(), "g", 1) != 1 ||
          ::read(done->read_end.get(), &r, sizeof r) != sizeof r) {
        rounds.verified = false;
        break;
      }
      rounds.add(t0, 0.0, nowSeconds(), r, seal);
    }
    go->write_end.reset();
    consumer_peak = reapPeakRss(consumer);
    done->read_end.reset();
  }
  redisFree(producer);
  (void)server->stop(std::chrono::seconds(10));
  // The producer (this process), the consumer and redis-server, each its own peak.
  return result("redis", size, rounds, runs, before, usage(),
                peakRss() + consumer_peak + server->peakRssBytes(), kRedisCopies);
}

}  // namespace

Result<json> runBaseline(const std::string& system, std::uint64_t size, int runs,
                         const Placement& at) {
  if (system == "native-http-raw") {
    return nativeHttpRaw(size, runs, 0, at);
  }
  if (!at.loopback()) {
    return fail(Errc::kInvalidArgument, "bench", system + " runs on loopback only");
  }
  if (system == "native-http") {
    return nativeHttp(size, runs);
  }
  if (system == "redis") {
    return redis(size, runs);
  }
  return fail(Errc::kInvalidArgument, "bench", "no baseline named " + system);
}

Result<json> runBaselineFanout(const std::string& system, std::uint64_t size, int runs,
                               std::uint32_t n) {
  if (system == "native-http-raw") {
    return nativeHttpRaw(size, runs, n, {});
  }
  return fail(Errc::kInvalidArgument, "bench", system + " has no fan-out workload");
}

}  // namespace rr::bench
