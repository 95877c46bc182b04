#include "wasmedge_http.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include "roadrunner/base/net_grant.h"
#include "roadrunner/base/try.h"
#include "roadrunner/base/unique_fd.h"
#include "roadrunner/sys/pipe.h"
#include "roadrunner/sys/tcp.h"
#include "roadrunner/wasm/engine.h"
#include "roadrunner/wasm/instance.h"

#include "../harness/measure.h"
#include "../harness/test_link.h"

namespace rr::bench {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// How long the consumers may take to instantiate and listen, and the whole run to finish.
constexpr auto kListenDeadline = std::chrono::seconds(120);
constexpr auto kRunDeadline = std::chrono::seconds(1800);

// Payload copies on the way, per consumer: base64 encode, JSON dump, send (linear memory into
// the socket buffer), receive (socket buffer into linear memory), the JSON lexer's token buffer,
// the parsed string value, base64 decode.
constexpr int kCopies = 7;
// Raw bytes: send (linear memory into the socket buffer) and receive (socket buffer into the
// body string); the UTF-8 validation reads in place.
constexpr int kRawCopies = 2;

constexpr std::uint64_t kWasm32Memory = 1ULL << 32U;

// What the consumer holds at once while nlohmann-json parses the body: the body itself, the
// lexer's token buffer (a std::string grown by doubling) and the string value built from it.
std::uint64_t consumerPeakBytes(std::uint64_t size) {
  const std::uint64_t base64 = 4 * ((size + 2) / 3);
  const std::uint64_t body = base64 + 16;
  return body + std::bit_ceil(base64 + 1) + base64;
}

// One guest running `_start` on its own thread, with its own VM. The thread gets its own
// descriptor table with the write end of a pipe as fds 1 and 2, so the guest's stdout and stderr
// (and nothing else's) reach `out`; the pipe reaches EOF when the thread has ended.
class GuestThread {
 public:
  GuestThread() = default;
  GuestThread(const GuestThread&) = delete;
  GuestThread& operator=(const GuestThread&) = delete;
  GuestThread(GuestThread&&) = delete;
  GuestThread& operator=(GuestThread&&) = delete;
  ~GuestThread() {
    if (thread_.joinable()) {
      thread_.join();
    }
  }

  [[nodiscard]] Result<> start(const wasm::Engine& engine, const wasm::Module& module,
                               std::vector<std::string> args, std::vector<std::string> env,
                               std::vector<NetGrant> grants, std::string netns = {}) {
    RR_ASSIGN_OR_RETURN(sys::Pipe pipe, sys::makePipe());
    out_ = std::move(pipe.read_end);
    UniqueFd write_end = std::move(pipe.write_end);
    std::promise<Result<>> redirected;
    std::future<Result<>> redirected_future = redirected.get_future();
    thread_ = std::thread([this, &engine, module, args = std::move(args), env = std::move(env),
                           grants = std::move(grants), netns = std::move(netns),
                           w = write_end.get(), redirected = std::move(redirected)]() mutable {
      // A consumer or producer whose peer is gone must see EPIPE, not kill the process.
      sigset_t pipe_only;
      sigemptyset(&pipe_only);
      sigaddset(&pipe_only, SIGPIPE);
      ::pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);
      if (::unshare(CLONE_FILES) != 0 || ::dup2(w, 1) < 0 || ::dup2(w, 2) < 0) {
        redirected.set_value(failErrno("unshare(CLONE_FILES)"));
        return;
      }
      ::close(w);  // this thread's copy; fds 1 and 2 remain
      // An inter-node consumer: the guest's sockets are made on this thread, in the test host.
      if (Result<> entered = enterNetns(netns); !entered) {
        redirected.set_value(std::unexpected(entered.error()));
        return;
      }
      redirected.set_value(Result<>{});
      auto instance = wasm::Instance::create(
          engine, module, {.args = args, .env = env, .net_grants = std::move(grants)});
      Result<int> code =
          instance ? instance->runStart() : Result<int>(std::unexpected(instance.error()));
      if (!code) {
        const std::string message = "error: " + code.error().message() + "\n";
        [[maybe_unused]] const ssize_t n = ::write(2, message.data(), message.size());
      }
      exit_code_.store(code ? *code : -1);
    });
    Result<> ready = redirected_future.get();
    // Close our copy of the write end before another guest thread copies our descriptor table.
    write_end = UniqueFd();
    return ready;
  }

  [[nodiscard]] int fd() const { return out_.get(); }
  [[nodiscard]] bool open() const { return out_.valid(); }

  /// Reads what the pipe holds into complete lines; closes it at EOF.
  void readAvailable() {
    char buf[4096];
    const ssize_t n = ::read(out_.get(), buf, sizeof buf);
    if (n <= 0) {
      if (!partial_.empty()) {
        lines_.push_back(std::move(partial_));
      }
      out_ = UniqueFd();
      return;
    }
    partial_.append(buf, static_cast<std::size_t>(n));
    for (std::size_t nl = partial_.find('\n'); nl != std::string::npos; nl = partial_.find('\n')) {
      lines_.push_back(partial_.substr(0, nl));
      partial_.erase(0, nl + 1);
    }
  }

  void join() {
    if (thread_.joinable()) {
      thread_.join();
    }
  }

  [[nodiscard]] const std::vector<std::string>& lines() const { return lines_; }
  [[nodiscard]] int exitCode() const { return exit_code_.load(); }

 private:
  UniqueFd out_;
  std::string partial_;
  std::vector<std::string> lines_;
  std::atomic<int> exit_code_{-1};
  std::thread thread_;
};

// Reads the guests' output until `done` says so or every pipe is closed (true), or the deadline
// passes (false).
template <typename Done>
bool pump(std::vector<std::unique_ptr<GuestThread>>& guests, Clock::time_point deadline,
          Done done) {
  while (!done()) {
    std::vector<pollfd> fds;
    std::vector<GuestThread*> owners;
    for (auto& g : guests) {
      if (g->open()) {
        fds.push_back({.fd = g->fd(), .events = POLLIN, .revents = 0});
        owners.push_back(g.get());
      }
    }
    if (fds.empty()) {
      return true;
    }
    if (Clock::now() > deadline) {
      return false;
    }
    if (::poll(fds.data(), fds.size(), 100) < 0 && errno != EINTR) {
      return false;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents != 0) {
        owners[i]->readAvailable();
      }
    }
  }
  return true;
}

// The lines whose first word is `tag`.
std::vector<std::string> linesTagged(const GuestThread& g, const std::string& tag) {
  std::vector<std::string> out;
  for (const auto& line : g.lines()) {
    if (line.starts_with(tag + " ")) {
      out.push_back(line);
    }
  }
  return out;
}

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) {
    out.push_back(w);
  }
  return out;
}

// A number from a guest's line; false if the word is not one.
template <typename T>
bool parse(const std::string& word, T* out) {
  const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), *out);
  return ec == std::errc() && end == word.data() + word.size();
}

std::string systemName(const WasmedgeHttpOptions& o) {
  return o.raw ? "wasmedge-http-raw" : "wasmedge-http";
}

}  // namespace

Result<> wasmedgeHttpFits(std::uint64_t size, bool raw) {
  const std::uint64_t need = raw ? size : consumerPeakBytes(size);
  if (need > kWasm32Memory - (64U << 20U)) {
    return fail(Errc::kInvalidArgument, "wasmedge-http",
                "a " + std::to_string(size >> 20U) + " MiB payload needs about " +
                    std::to_string(need >> 20U) +
                    " MiB of linear memory in the consumer (HTTP body, JSON token buffer, parsed "
                    "string), more than wasm32's 4 GiB");
  }
  return {};
}

Result<json> runWasmedgeHttp(const WasmedgeHttpOptions& o) {
  RR_RETURN_IF_ERROR(wasmedgeHttpFits(o.size, o.raw));
  RR_ASSIGN_OR_RETURN(const wasm::Engine engine, wasm::Engine::create({}));
  RR_ASSIGN_OR_RETURN(const wasm::Module producer_module,
                      engine.prepare(o.guest_dir + "/bench_http_producer.wasm"));
  RR_ASSIGN_OR_RETURN(const wasm::Module consumer_module,
                      engine.prepare(o.guest_dir + "/bench_http_consumer.wasm"));
  const int rounds = o.runs + 1;
  const auto host_grant = parseNetGrant("tcp:" + o.at.host + ":*");
  if (!host_grant) {
    return fail(Errc::kInvalidArgument, "wasmedge-http",
                "'" + o.at.host + "' is not an IPv4 address");
  }
  const std::string host_env = "BENCH_HOST=" + o.at.host;

  rusage before{};
  ::getrusage(RUSAGE_SELF, &before);
  resetPeakRss();

  std::vector<std::unique_ptr<GuestThread>> consumers;
  std::vector<std::unique_ptr<GuestThread>> all;
  bool started = true;
  for (std::uint32_t k = 0; k < o.consumers && started; ++k) {
    auto g = std::make_unique<GuestThread>();
    // A consumer binds its host's address at a port the kernel picks, listens and accepts.
    std::vector<std::string> env = {host_env};
    if (o.raw) {
      env.emplace_back("BENCH_RAW=1");
    }
    started = g->start(engine, consumer_module, {"bench_http_consumer", std::to_string(rounds)},
                       std::move(env), {NetGrant{.ip = host_grant->ip}}, o.at.netns)
                  .has_value();
    consumers.push_back(std::move(g));
  }
  // Wait until every consumer listens (or has ended: then its pipe is closed).
  const auto listening = [&](const GuestThread& g) { return !linesTagged(g, "listening").empty(); };
  const bool all_listen =
      started &&
      pump(consumers, Clock::now() + kListenDeadline,
           [&] {
             return std::ranges::all_of(consumers,
                                        [&](const auto& g) { return listening(*g) || !g->open(); });
           }) &&
      std::ranges::all_of(consumers, [&](const auto& g) { return listening(*g); });
  std::vector<std::string> ports;
  for (const auto& g : consumers) {
    const auto l = linesTagged(*g, "listening");
    const auto w = l.empty() ? std::vector<std::string>{} : words(l.front());
    ports.push_back(w.size() > 1 ? w[1] : "0");
  }
  auto producer = std::make_unique<GuestThread>();
  bool producer_started = false;
  if (all_listen) {
    std::vector<std::string> args = {"bench_http_producer", std::to_string(o.size),
                                     std::to_string(rounds)};
    args.insert(args.end(), ports.begin(), ports.end());
    std::vector<std::string> env = {host_env};
    if (o.raw) {
      env.emplace_back("BENCH_RAW=1");
    }
    if (o.corrupt) {
      env.push_back("BENCH_CORRUPT_AT=" + std::to_string(o.size / 2));
    }
    // The producer connects to exactly the consumers' ports.
    std::vector<NetGrant> grants;
    for (const auto& p : ports) {
      std::uint16_t port = 0;
      if (parse(p, &port) && port != 0) {
        grants.push_back(NetGrant{.ip = host_grant->ip, .port = port});
      }
    }
    producer_started =
        producer->start(engine, producer_module, std::move(args), std::move(env), std::move(grants))
            .has_value();
  }
  if (!producer_started) {
    // Nobody will connect: wake every listening consumer with a connection that closes at once.
    for (const auto& p : ports) {
      std::uint16_t port = 0;
      if (parse(p, &port) && port != 0) {
        (void)sys::connectTcp(o.at.host, port, 1000);
      }
    }
  }
  all.reserve(all.size() + consumers.size() + 1);
  for (auto& g : consumers) {
    all.push_back(std::move(g));
  }
  all.push_back(std::move(producer));
  const bool finished = pump(all, Clock::now() + kRunDeadline, [] { return false; });
  for (auto& g : all) {
    g->join();
  }
  rusage after{};
  ::getrusage(RUSAGE_SELF, &after);
  const std::uint64_t peak = peakRss();

  // Rounds: the producer's start, encode time, seal and end; each consumer's times, decode
  // time, length and whether the seal it read was whole and this round's.
  const GuestThread& prod = *all.back();
  const auto n = static_cast<std::size_t>(rounds);
  std::vector<double> t0(n, 0.0);
  std::vector<double> encode(n, 0.0);
  std::vector<double> t_end(n, 0.0);
  std::vector<std::string> seals(n);
  std::vector<int> sent_rounds(n, 0);
  Windows w{.to_handler = std::vector<double>(n, 0.0), .consumed = std::vector<double>(n, 0.0)};
  std::vector<double> decode(n, 0.0);
  std::vector<std::uint32_t> good(n, 0);
  std::string diagnostics;
  for (const auto& line : prod.lines()) {
    const auto wd = words(line);
    std::size_t r = 0;
    if (wd.size() == 6 && wd[0] == "sent" && parse(wd[1], &r) && r < n && parse(wd[2], &t0[r]) &&
        parse(wd[3], &encode[r]) && parse(wd[5], &t_end[r])) {
      seals[r] = wd[4];
      ++sent_rounds[r];
    } else {
      diagnostics += "producer: " + line + "\n";
    }
  }
  std::vector<double> held(n, 0.0);
  std::vector<double> consumed(n, 0.0);
  std::vector<std::string> got_seals;
  for (std::size_t k = 0; k + 1 < all.size(); ++k) {
    for (const auto& line : all[k]->lines()) {
      const auto wd = words(line);
      std::size_t r = 0;
      double at = 0;
      double decode_s = 0;
      double done = 0;
      std::uint64_t length = 0;
      if (wd.size() == 8 && wd[0] == "received" && parse(wd[1], &r) && r < n && parse(wd[2], &at) &&
          parse(wd[3], &decode_s) && parse(wd[4], &length) && parse(wd[7], &done)) {
        held[r] = std::max(held[r], at);
        consumed[r] = std::max(consumed[r], done);
        decode[r] = std::max(decode[r], decode_s);
        if (length == o.size && wd[5] == "1" && wd[6] == seals[r]) {
          ++good[r];
        }
      } else if (!wd.empty() && wd[0] != "listening") {
        diagnostics += "consumer " + std::to_string(k) + ": " + line + "\n";
      }
    }
  }
  bool verified = finished && all_listen && producer_started;
  for (const auto& g : all) {
    verified = verified && g->exitCode() == 0;
  }
  std::vector<double> serialization;
  for (std::size_t r = 0; r < n; ++r) {
    verified = verified && sent_rounds[r] == 1 && good[r] == o.consumers;
    w.to_handler[r] = held[r] - t0[r];
    w.consumed[r] = consumed[r] - t0[r];
    w.round.push_back(t_end[r] - t0[r]);
    if (r > 0) {
      serialization.push_back(encode[r] + decode[r]);
    }
  }
  if (!verified && !diagnostics.empty()) {
    std::fprintf(stderr, "%s: %s", systemName(o).c_str(), diagnostics.c_str());
  }
  json row{{"system", systemName(o)},
           {"workload", o.fanout ? "fanout" : "chain"},
           {"payload_bytes", o.size},
           {"fanout", o.consumers},
           {"serialization_s", summarize(serialization).median},
           {"cpu_user_s", cpuSeconds(after.ru_utime) - cpuSeconds(before.ru_utime)},
           {"cpu_sys_s", cpuSeconds(after.ru_stime) - cpuSeconds(before.ru_stime)},
           {"peak_rss_bytes", peak},
           {"copies", nullptr},  // not observed: the guests are not instrumented
           {"copies_by_construction", o.raw ? kRawCopies : kCopies},
           {"verified", verified}};
  addWindows(row, w);
  const double med = row["consumed_s"]["median"].get<double>();
  row["transfer_s"] = med - row["serialization_s"].get<double>();
  row["throughput_MBps"] = med > 0 ? static_cast<double>(o.size) * o.consumers / med / 1e6 : 0.0;
  return row;
}

}  // namespace rr::bench
