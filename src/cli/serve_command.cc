// `roadrunner serve` hosts one receiving function behind a UNIX socket (kernel mode) or a TCP
// port (network mode); `roadrunner send` delivers a file to such an endpoint, for operators and
// tests.

#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "roadrunner/base/file.h"
#include "roadrunner/base/net_grant.h"
#include "roadrunner/base/try.h"
#include "roadrunner/runtime/function_actor.h"
#include "roadrunner/runtime/live_stats.h"
#include "roadrunner/runtime/metrics.h"
#include "roadrunner/runtime/runner.h"
#include "roadrunner/telemetry/otlp.h"
#include "roadrunner/transport/auth.h"
#include "roadrunner/transport/replica_endpoint.h"
#include "roadrunner/transport/socket_endpoint.h"
#include "roadrunner/transport/socket_server.h"

#include "cli.h"
#include "options.h"

namespace rr::cli {
namespace {

// The shared secret for network mode: --secret-file, else $RR_SECRET.
Result<std::string> secretFrom(const std::string& file) {
  if (!file.empty()) {
    return transport::readSecretFile(file);
  }
  return transport::secretFromEnvironment();
}

using Targets = std::vector<std::pair<std::string, transport::Address>>;
using SocketEndpoints = std::vector<std::unique_ptr<host::Endpoint>>;

// Routes for the served function's own sends, with embedded mode's answers: its targets, each
// reachable as NAME and, for a group member given as "NAME#K", also as "NAME#K"; and the names
// that exist but have no edge from it (its own, and --known), which get RR_ENOT_ALLOWED. Sends
// carry `instance` (NAME, or NAME#K for a group member) as their source.
void addRoutes(host::Router& router, host::EdgeMetricsSet& edges, SocketEndpoints& endpoints,
               const std::string& name, const std::string& instance, const Targets& targets,
               const std::vector<std::string>& known, const std::string& secret) {
  router.declare(name);
  router.declare(instance);
  for (const auto& other : known) {
    router.declare(other);
  }
  for (const auto& [target, address] : targets) {
    const std::string function = target.substr(0, target.find('#'));  // the served name
    if (address.dns()) {
      endpoints.push_back(std::make_unique<transport::ReplicaEndpoint>(
          address.str(), transport::ReplicaEndpoint::dnsResolver(address.host, address.port),
          function,
          transport::ReplicaEndpointOptions{
              .socket = {.connect_timeout_ms = 1000, .secret = secret}}));
    } else {
      endpoints.push_back(std::make_unique<transport::SocketEndpoint>(
          address, function, transport::SocketEndpointOptions{.secret = secret}));
    }
    host::EdgeMetrics* metrics = edges.edge(
        name, function, address.kind == transport::Address::Kind::kUnix ? "kernel" : "network");
    router.addEndpoint(function, endpoints.back().get());
    router.allow(instance, function, metrics);
    if (target != function) {
      router.addEndpoint(target, endpoints.back().get());
      router.allow(instance, target, metrics);
    }
  }
}

// `--target NAME=ADDRESS` (NAME may be a group member, `NAME#K`).
Result<std::pair<std::string, transport::Address>> parseTarget(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || text.front() == '#') {
    return fail(Errc::kInvalidArgument, "serve",
                "'" + text + "' is not NAME=ADDRESS (or NAME#K=ADDRESS)");
  }
  RR_ASSIGN_OR_RETURN(auto address, transport::Address::parseTarget(text.substr(eq + 1)));
  return std::pair{text.substr(0, eq), std::move(address)};
}

constexpr std::string_view kAddressHelp =
    "ADDRESS is unix:PATH (kernel mode) or tcp:HOST:PORT (network mode; HOST an IPv4 address or "
    "localhost, PORT 0 for a free port); a --target may also be dns:NAME:PORT, the replicas "
    "NAME resolves to. Network mode needs a shared secret: --secret-file FILE, "
    "else $RR_SECRET.";

}  // namespace

int serveCommand(Args args) {
  const auto app = makeApp("serve");
  std::string file;
  std::string listen_text;
  std::string name;
  std::string instance;
  std::uint64_t stats_every_ms = 0;
  std::string metrics_text;
  std::string traces;
  std::string secret_file;
  int ready_fd = -1;
  int parent = 0;
  std::uint32_t handler_timeout_ms = 0;
  std::uint32_t memory_limit_mib = 0;
  std::vector<std::string> target_texts;
  std::vector<std::string> grants;
  wasm::EngineOptions engine_options;
  wasm::InstanceOptions instance_options;
  transport::SocketServerOptions server_options;
  std::vector<std::string> known;
  bool memfd_copy = false;
  app->add_option("FUNCTION.wasm", file,
                  "the module: a receiver (it exports rr_on_message and rr_alloc)")
      ->required();
  app->add_option("--listen", listen_text, "where to listen: unix:PATH or tcp:HOST:PORT")
      ->type_name("ADDRESS")
      ->required()
      ->check(parsesWith(transport::Address::parse));
  app->add_option("--name", name,
                  "the function's name, which frames must address (default: FUNCTION's file name "
                  "without .wasm)")
      ->type_name("NAME");
  app->add_option("--instance", instance,
                  "the source name of the function's own sends: NAME#K for member K of a group "
                  "(default: NAME)")
      ->type_name("NAME#K");
  app->add_option("--stats-every", stats_every_ms,
                  "while serving, the function's row of `up --stats` on stderr every MS "
                  "milliseconds: deliveries, bytes, failed deliveries, its own sends")
      ->type_name("MS")
      ->check(wholeNumber(10, 86400000));
  app->add_option("--metrics", metrics_text,
                  "while serving, Prometheus metrics at /metrics on ADDRESS: unix:PATH or "
                  "tcp:HOST:PORT (docs/observability.md)")
      ->type_name("ADDRESS");
  app->add_option("--traces", traces,
                  "a span per delivery (child of the sender's span) and per own send, exported "
                  "over OTLP/HTTP to the collector at http://HOST:PORT (docs/observability.md)")
      ->type_name("URL");
  app->add_option("--secret-file", secret_file,
                  "the network secret (default: $RR_SECRET); required for tcp:")
      ->type_name("FILE");
  repeatable(app->add_option("--target", target_texts,
                             "lets the function send to NAME, served at ADDRESS by a server "
                             "whose --name is NAME; one NAME at several addresses is a group, "
                             "and NAME#K=ADDRESS is also reachable as NAME#K"))
      ->type_name("NAME=ADDRESS")
      ->check(parsesWith(parseTarget));
  repeatable(app->add_option("--known", known,
                             "a name that exists but has no edge from the function: sends to it "
                             "get RR_ENOT_ALLOWED, not RR_EUNKNOWN_TARGET"))
      ->type_name("NAME");
  app->add_option("--max-payload", server_options.max_payload,
                  "larger frames get RR_ETOO_LARGE (default 2147483648; over 4294967295 is "
                  "always refused)")
      ->type_name("BYTES")
      ->check(wholeNumber(0, UINT64_MAX));
  app->add_option("--timeout", server_options.timeout_seconds,
                  "each connection's socket calls: a peer idle or stalled this long is dropped "
                  "(1 to 86400; default 60)")
      ->type_name("SECONDS")
      ->check(wholeNumber(1, 86400));
  app->add_option("--handler-timeout-ms", handler_timeout_ms,
                  "each call into the function: past it, the sender gets RR_ETIMEDOUT and the "
                  "instance is replaced (0 to 86400000; 0, the default: no limit)")
      ->type_name("MS")
      ->check(wholeNumber(0, 86400000));
  repeatable(app->add_option("--allow-uid", server_options.allowed_uids,
                             "unix: also accept peers with this uid, besides the server's own "
                             "and root"))
      ->type_name("UID")
      ->check(wholeNumber(0, UINT32_MAX - 1));
  app->add_flag("--memfd-copy", memfd_copy,
                "copy memfd payloads into the guest's buffer instead of mapping their pages");
  app->add_option("--memory-limit-mib", memory_limit_mib,
                  "cap the guest's linear memory (1 to 4096; default WasmEdge's 4 GiB)")
      ->type_name("N")
      ->check(wholeNumber(1, 4096));
  repeatable(app->add_option("--env", instance_options.env,
                             "an environment variable for the guest, which sees only these"))
      ->type_name("K=V")
      ->check(keyValue());
  repeatable(app->add_option("--dir", instance_options.dirs,
                             "a WASI preopen: the host directory HOST as GUEST (DIR alone: the "
                             "same path on both sides)"))
      ->type_name("[GUEST:]HOST")
      ->check(preopen());
  repeatable(app->add_option("--allow-net", grants,
                             "an IPv4 address and port (or *) the guest may connect to, bind "
                             "and listen on through WASI sockets; without it, none"))
      ->type_name("tcp:A.B.C.D:PORT")
      ->check(parsesWith(parseNetGrant));
  app->add_flag("--interpreter", engine_options.interpreter,
                "run with WasmEdge's interpreter instead of the AOT cache");
  app->add_option("-O", engine_options.opt_level, "the AOT optimisation level (default 2)")
      ->type_name("LEVEL")
      ->check(wholeNumber(0, 3));
  app->add_option("--ready-fd", ready_fd,
                  "once listening, write `ready ADDRESS` to FD and close it, instead of the "
                  "line on stderr")
      ->type_name("FD")
      ->check(wholeNumber(0, INT32_MAX));
  app->add_option("--parent", parent,
                  "die (SIGKILL) once process PID, which started this server, has ended; `up` "
                  "and `bench` pass their own")
      ->type_name("PID")
      ->check(wholeNumber(1, INT32_MAX));
  app->footer(std::string(kAddressHelp) +
              " Arguments after -- go to the guest. SIGTERM or SIGINT stops the server (exit "
              "status 0).");
  if (auto status = parse(*app, args, Rest::kAfterDashes, &instance_options.args)) {
    return *status;
  }
  const transport::Address listen = *transport::Address::parse(listen_text);
  Targets targets;
  for (const auto& text : target_texts) {
    targets.push_back(*parseTarget(text));
  }
  for (const auto& grant : grants) {
    instance_options.net_grants.push_back(*parseNetGrant(grant));
  }
  for (auto& dir : instance_options.dirs) {
    dir = dir.find(':') == std::string::npos ? dir + ":" + dir : dir;
  }
  instance_options.max_memory_pages = memory_limit_mib * 16;
  engine_options.interruptible = handler_timeout_ms > 0;
  server_options.memfd_map = !memfd_copy;
  auto secret = secretFrom(secret_file);
  if (!secret) {
    return reportError(secret.error());
  }
  server_options.secret = *secret;
  if (name.empty()) {
    name = std::filesystem::path(file).stem().string();
  }
  server_options.name = name;
  instance_options.args.insert(instance_options.args.begin(),
                               std::filesystem::path(file).filename().string());
  // SIGINT/SIGTERM end the server; every thread started below inherits the blocked mask and
  // only the main thread takes them, with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // A server started for a run dies with the run, however the run ends (SIGKILL included): the
  // kernel sends SIGKILL when the thread that started it goes, as nobody is left to wait for a
  // handler that may run on. A parent gone before this line would never send it, so it is looked
  // for once here.
  if (parent > 0 &&
      (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || (::kill(parent, 0) != 0 && errno == ESRCH))) {
    return reportError(
        failErrno("serve", ESRCH,
                  "the process that started it (" + std::to_string(parent) + ") has ended")
            .error());
  }

  auto engine = wasm::Engine::create(engine_options);
  if (!engine) {
    return reportError(engine.error());
  }
  auto module = engine->prepare(file);
  if (!module) {
    return reportError(module.error());
  }
  host::EdgeMetricsSet edges;
  host::Router router;
  SocketEndpoints endpoints;
  if (instance.empty()) {
    instance = name;
  } else if (instance != name && !instance.starts_with(name + "#")) {
    return usageError("serve: --instance '" + instance + "' is neither '" + name + "' nor '" +
                      name + "#K'");
  }
  addRoutes(router, edges, endpoints, name, instance, targets, known, *secret);
  // Declared before the actor, which records into it: destroyed after it, exporting the rest.
  std::unique_ptr<host::Tracer> tracer;
  if (!traces.empty()) {
    auto made = telemetry::startOtlpTracer(traces, "roadrunner");
    if (!made) {
      return usageError("serve: --traces " + made.error().message());
    }
    tracer = std::move(*made);
  }
  auto actor = runtime::FunctionActor::start({.name = instance,
                                              .engine = &*engine,
                                              .module = *module,
                                              .options = std::move(instance_options),
                                              .receiver = true,
                                              .router = &router,
                                              .max_payload = server_options.max_payload,
                                              .timeout_ms = handler_timeout_ms,
                                              // connection threads hand off to it
                                              .hand_off_spin = true,
                                              .tracer = tracer.get()});
  if (!actor) {
    return reportError(actor.error());
  }
  auto server = transport::SocketServer::start(listen, actor->get(), server_options);
  if (!server) {
    return reportError(server.error());
  }
  const std::string where = (*server)->address().str();
  if (ready_fd < 0) {
    std::fprintf(stderr, "roadrunner: serving %s as '%s' on %s\n", file.c_str(), name.c_str(),
                 where.c_str());
  } else {
    const std::string line = "ready " + where + "\n";
    [[maybe_unused]] const ssize_t n = ::write(ready_fd, line.data(), line.size());
    ::close(ready_fd);
  }
  runtime::LiveStats live(std::chrono::milliseconds(stats_every_ms), stderr,
                          [a = actor->get()] { return std::vector{runtime::reportOf(*a, true)}; });
  std::unique_ptr<runtime::MetricsServer> metrics;
  if (!metrics_text.empty()) {
    auto started = transport::Address::parse(metrics_text).and_then([&](transport::Address a) {
      return runtime::MetricsServer::start(std::move(a), [&, a = actor->get()] {
        // A served function's own sends use the socket, never a memfd: no pool to report.
        return runtime::renderMetrics(&edges, {runtime::reportOf(*a, true)},
                                      {.served = name,
                                       .open_connections = (*server)->openConnections(),
                                       .dropped_connections = (*server)->droppedConnections()});
      });
    });
    if (!started) {
      return reportError(started.error());
    }
    metrics = std::move(*started);
    std::fprintf(stderr, "roadrunner: metrics on %s at /metrics\n",
                 metrics->address().str().c_str());
  }
  int sig = 0;
  sigwait(&stop_signals, &sig);
  metrics.reset();
  live.stop();
  (*server)->stop();
  (*actor)->stop();
  return 0;
}

int sendCommand(Args args) {
  const auto app = makeApp("send");
  std::string to_text;
  std::string target;
  std::string file;
  std::string secret_file;
  bool memfd = false;
  transport::SocketEndpointOptions options;
  app->add_option("FILE", file, "the payload, read whole into memory")->required();
  app->add_option("--to", to_text, "the served function: unix:PATH or tcp:HOST:PORT")
      ->type_name("ADDRESS")
      ->required()
      ->check(parsesWith(transport::Address::parse));
  app->add_option("--target", target,
                  "the served function's --name (default for unix: the socket file's name "
                  "without its extension); required for tcp:")
      ->type_name("NAME");
  app->add_flag("--memfd", memfd, "unix: send a non-empty FILE as a memfd, not over the socket");
  app->add_option("--secret-file", secret_file,
                  "the network secret (default: $RR_SECRET); required for tcp:")
      ->type_name("FILE");
  app->add_option("--timeout", options.timeout_seconds,
                  "how long one socket call, the wait for the handler included, may make no "
                  "progress (1 to 86400; default 60)")
      ->type_name("SECONDS")
      ->check(wholeNumber(1, 86400));
  app->footer(
      "The reply (up to 64 KiB) goes to stdout, and `delivered N bytes to NAME (K host copies)` "
      "to stderr. Exit status 0 when the handler answered RR_OK, 1 otherwise.");
  if (auto status = parse(*app, args)) {
    return *status;
  }
  const std::optional<transport::Address> to = *transport::Address::parse(to_text);
  if (memfd) {
    options.memfd_threshold = 0;
  }
  auto secret = secretFrom(secret_file);
  if (!secret) {
    return reportError(secret.error());
  }
  if (to->tcp() && secret->empty()) {
    return usageError("send: network mode needs a shared secret (--secret-file or RR_SECRET)");
  }
  options.secret = *secret;
  auto bytes = readFile(file);
  if (!bytes) {
    return reportError(bytes.error());
  }
  if (target.empty()) {
    if (to->tcp()) {
      return usageError("send: --target NAME is required with tcp addresses");
    }
    target = std::filesystem::path(to->path).stem().string();
  }
  transport::SocketEndpoint endpoint(*to, target, options);
  std::vector<std::byte> reply(std::size_t{64} * 1024);
  const host::DeliveryResult r =
      endpoint.deliver({.source = "roadrunner-send", .payload = *bytes, .reply = reply});
  if (r.status != host::Status::kOk) {
    std::fprintf(stderr, "roadrunner: send %s to %s: %s\n", file.c_str(), to->str().c_str(),
                 host::statusName(r.status));
    return kExitError;
  }
  std::fwrite(reply.data(), 1, std::min<std::size_t>(r.reply_len, reply.size()), stdout);
  std::fprintf(stderr, "roadrunner: delivered %zu bytes to %s (%u host copies)\n", bytes->size(),
               target.c_str(),
               static_cast<unsigned>(host::copiesOf(r.copied_bytes, bytes->size())));
  return 0;
}

}  // namespace rr::cli
