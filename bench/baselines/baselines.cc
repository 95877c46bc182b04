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

#include "roadrunner/base/sha256.h"
#include "roadrunner/base/unique_fd.h"
#include "roadrunner/sys/pipe.h"
#include "roadrunner/sys/subprocess.h"
#include "roadrunner/sys/tcp.h"

#include "../harness/measure.h"

namespace rr::bench {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

double nowSeconds() {
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

std::string payloadOf(std::uint64_t size) {
  static const std::string kPhrase = "Artifact for middleware evaluation";
  std::string s(size, '\0');
  for (std::uint64_t i = 0; i < size; ++i) {
    s[i] = kPhrase[i % kPhrase.size()];
  }
  return s;
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

std::string digest(const std::string& bytes) {
  return toHex(sha256(std::as_bytes(std::span(bytes.data(), bytes.size()))));
}

// A free loopback port: bind to port 0, read it, close (the consumer binds it right after).
std::uint16_t freePort() {
  auto fd = sys::listenTcp("127.0.0.1", 0);
  return fd ? sys::localPort(fd->get()).value_or(0) : 0;
}

json result(const std::string& system, std::uint64_t size, const std::vector<double>& latency,
            const std::vector<double>& serialization, bool verified, const rusage& before,
            const rusage& after, std::uint64_t peak_rss_bytes) {
  const auto cpu = [](const timeval& a, const timeval& b) {
    return static_cast<double>(b.tv_sec - a.tv_sec) +
           static_cast<double>(b.tv_usec - a.tv_usec) * 1e-6;
  };
  const double med = summarize(latency).median;
  return json{{"system", system},
              {"workload", "chain"},
              {"payload_bytes", size},
              {"fanout", 1},
              {"runs", latency.size()},
              {"latency_s", toJson(summarize(latency))},
              {"transfer_s", med - summarize(serialization).median},
              {"serialization_s", summarize(serialization).median},
              {"throughput_MBps", med > 0 ? static_cast<double>(size) / med / 1e6 : 0.0},
              {"cpu_user_s", cpu(before.ru_utime, after.ru_utime)},
              {"cpu_sys_s", cpu(before.ru_stime, after.ru_stime)},
              {"peak_rss_bytes", peak_rss_bytes},
              {"copies", nullptr},
              {"verified", verified}};
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

// Reaps a forked child; returns its own peak RSS in bytes (wait4: that child alone).
std::uint64_t reapPeakRss(pid_t pid) {
  rusage child{};
  while (::wait4(pid, nullptr, 0, &child) < 0 && errno == EINTR) {
  }
  return static_cast<std::uint64_t>(child.ru_maxrss) * 1024;
}

Result<json> nativeHttp(std::uint64_t size, int runs) {
  const std::uint16_t port = freePort();
  auto ready = sys::makePipe();
  if (port == 0 || !ready) {
    return failErrno("native-http");
  }
  const rusage before = usage();
  resetPeakRss();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ready->read_end.reset();
    httplib::Server server;
    server.Post("/data", [](const httplib::Request& req, httplib::Response& res) {
      const double t0 = nowSeconds();
      const json doc = json::parse(req.body, nullptr, false);
      const std::string bytes =
          doc.is_object() && doc.contains("data") ? unbase64(doc["data"].get<std::string>()) : "";
      const double t1 = nowSeconds();  // the consumer holds the decoded bytes
      res.set_content(json{{"done", t1}, {"decode_s", t1 - t0}, {"sha256", digest(bytes)}}.dump(),
                      "application/json");
    });
    // Ready once bound: the kernel queues connections from then on.
    if (!server.bind_to_port("127.0.0.1", port) || ::write(ready->write_end.get(), "r", 1) != 1) {
      ::_exit(1);
    }
    server.listen_after_bind();
    ::_exit(0);
  }
  ready->write_end.reset();
  char r = 0;
  const bool up = ::read(ready->read_end.get(), &r, 1) == 1;
  ready->read_end.reset();
  std::vector<double> latency;
  std::vector<double> serialization;
  bool verified = up;
  if (up) {
    const std::string payload = payloadOf(size);
    const std::string want = digest(payload);
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(600, 0);
    client.set_write_timeout(600, 0);
    for (int i = 0; i <= runs; ++i) {
      const double t0 = nowSeconds();
      const std::string body = json{{"data", base64(payload)}}.dump();
      const double encoded = nowSeconds();
      auto res = client.Post("/data", body, "application/json");
      if (!res || res->status != 200) {
        verified = false;
        break;
      }
      const json answer = json::parse(res->body, nullptr, false);
      if (!answer.is_object() || answer.value("sha256", "") != want) {
        verified = false;
      }
      if (i > 0) {
        latency.push_back(answer.value("done", 0.0) - t0);
        serialization.push_back((encoded - t0) + answer.value("decode_s", 0.0));
      }
    }
  }
  ::kill(pid, SIGKILL);
  const std::uint64_t server_peak = reapPeakRss(pid);
  // The client (this process) and the server, each its own peak.
  return result("native-http", size, latency, serialization, verified && !latency.empty(), before,
                usage(), peakRss() + server_peak);
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
  std::vector<double> latency;
  bool verified = producer != nullptr;
  auto go = sys::makePipe();
  auto done = sys::makePipe();
  if (producer != nullptr && go && done) {
    const pid_t consumer = ::fork();
    if (consumer == 0) {
      go->write_end.reset();  // so the parent closing its end ends our loop
      done->read_end.reset();
      redisContext* c = redisConnect("127.0.0.1", port);
      char b = 0;
      while (c != nullptr && ::read(go->read_end.get(), &b, 1) == 1) {
        auto* reply = static_cast<redisReply*>(redisCommand(c, "GET payload"));
        const double t = nowSeconds();
        const std::string bytes = reply != nullptr && reply->type == REDIS_REPLY_STRING
                                      ? std::string(reply->str, reply->len)
                                      : std::string();
        freeReplyObject(reply);
        const std::string h = digest(bytes);
        std::array<char, 8 + 64> msg{};
        std::memcpy(msg.data(), &t, 8);
        std::memcpy(msg.data() + 8, h.data(), 64);
        if (::write(done->write_end.get(), msg.data(), msg.size()) !=
            static_cast<ssize_t>(msg.size())) {
          break;
        }
      }
      ::_exit(0);
    }
    go->read_end.reset();
    done->write_end.reset();
    const std::string payload = payloadOf(size);
    const std::string want = digest(payload);
    for (int i = 0; i <= runs; ++i) {
      const double t0 = nowSeconds();
      auto* reply = static_cast<redisReply*>(
          redisCommand(producer, "SET payload %b", payload.data(), payload.size()));
      const bool stored = reply != nullptr && reply->type == REDIS_REPLY_STATUS;
      freeReplyObject(reply);
      std::array<char, 8 + 64> msg{};
      if (!stored || ::write(go->write_end.get(), "g", 1) != 1 ||
          ::read(done->read_end.get(), msg.data(), msg.size()) !=
              static_cast<ssize_t>(msg.size())) {
        verified = false;
        break;
      }
      double t = 0;
      std::memcpy(&t, msg.data(), 8);
      verified = verified && std::string(msg.data() + 8, 64) == want;
      if (i > 0) {
        latency.push_back(t - t0);
      }
    }
    go->write_end.reset();
    consumer_peak = reapPeakRss(consumer);
    done->read_end.reset();
  }
  redisFree(producer);
  (void)server->stop(std::chrono::seconds(10));
  // The producer (this process), the consumer and redis-server, each its own peak.
  return result("redis", size, latency, std::vector<double>(latency.size(), 0.0),
                verified && !latency.empty(), before, usage(),
                peakRss() + consumer_peak + server->peakRssBytes());
}

}  // namespace

Result<json> runBaseline(const std::string& system, std::uint64_t size, int runs) {
  if (system == "native-http") {
    return nativeHttp(size, runs);
  }
  if (system == "redis") {
    return redis(size, runs);
  }
  return fail(Errc::kInvalidArgument, "bench", "no baseline named " + system);
}

}  // namespace rr::bench
