// `roadrunner serve` hosts one receiving function behind a UNIX socket (kernel mode) or a TCP
// port (network mode); `roadrunner send` delivers a file to such an endpoint, for operators and
// tests.

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli.h"
#include "roadrunner/base/file.h"
#include "roadrunner/base/net_grant.h"
#include "roadrunner/runtime/function_actor.h"
#include "roadrunner/transport/auth.h"
#include "roadrunner/transport/socket_endpoint.h"
#include "roadrunner/transport/socket_server.h"

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
using SocketEndpoints = std::vector<std::unique_ptr<transport::SocketEndpoint>>;

// Routes for the served function's own sends, with embedded mode's answers: its targets, each
// reachable as NAME and, for a group member given as "NAME#K", also as "NAME#K"; and the names
// that exist but have no edge from it (its own, and --known), which get RR_ENOT_ALLOWED.
void addRoutes(host::Router& router, SocketEndpoints& endpoints, const std::string& name,
               const Targets& targets, const std::vector<std::string>& known,
               const std::string& secret) {
  router.declare(name);
  for (const auto& other : known) {
    router.declare(other);
  }
  for (const auto& [target, address] : targets) {
    const std::string function = target.substr(0, target.find('#'));  // the served name
    endpoints.push_back(std::make_unique<transport::SocketEndpoint>(
        address, function, transport::SocketEndpointOptions{.secret = secret}));
    router.addEndpoint(function, endpoints.back().get());
    router.allow(name, function);
    if (target != function) {
      router.addEndpoint(target, endpoints.back().get());
      router.allow(name, target);
    }
  }
}

}  // namespace

int serveCommand(Args args) {
  std::string file;
  std::optional<transport::Address> listen;
  std::string name;
  std::string secret_file;
  int ready_fd = -1;
  std::uint32_t handler_timeout_ms = 0;
  wasm::EngineOptions engine_options;
  wasm::InstanceOptions instance_options;
  transport::SocketServerOptions server_options;
  Targets targets;
  std::vector<std::string> known;
  bool guest_args = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    const auto value = [&]() -> std::string {
      return i + 1 < args.size() ? std::string(args[++i]) : std::string();
    };
    if (guest_args) {
      instance_options.args.emplace_back(arg);
    } else if (arg == "--") {
      guest_args = true;
    } else if (arg == "--memory-limit-mib") {
      instance_options.max_memory_pages = static_cast<std::uint32_t>(std::stoul(value()) * 16);
    } else if (arg == "--listen") {
      auto address = transport::Address::parse(value());
      if (!address) {
        return reportError(address.error(), kExitUsage);
      }
      listen = *address;
    } else if (arg == "--name") {
      name = value();
    } else if (arg == "--secret-file") {
      secret_file = value();
    } else if (arg == "--interpreter") {
      engine_options.interpreter = true;
    } else if (arg == "--env") {
      instance_options.env.push_back(value());
    } else if (arg == "--dir") {
      const std::string d = value();
      instance_options.dirs.push_back(d.find(':') == std::string::npos ? d + ":" + d : d);
    } else if (arg == "--allow-net") {
      auto grant = parseNetGrant(value());
      if (!grant) {
        return reportError(grant.error(), kExitUsage);
      }
      instance_options.net_grants.push_back(*grant);
    } else if (arg == "--max-payload") {
      server_options.max_payload = std::stoull(value());
    } else if (arg == "--timeout") {
      server_options.timeout_seconds = std::stoi(value());
    } else if (arg == "--handler-timeout-ms") {
      handler_timeout_ms = static_cast<std::uint32_t>(std::stoul(value()));
      engine_options.interruptible = handler_timeout_ms > 0;
    } else if (arg == "--allow-uid") {
      server_options.allowed_uids.push_back(static_cast<uid_t>(std::stoul(value())));
    } else if (arg == "--memfd-copy") {
      server_options.memfd_map = false;
    } else if (arg == "--target") {
      const std::string t = value();
      const auto eq = t.find('=');
      auto address = eq == std::string::npos || eq == 0 || t.front() == '#'
                         ? fail(Errc::kInvalidArgument, "serve", "--target takes NAME=ADDRESS")
                         : transport::Address::parse(t.substr(eq + 1));
      if (!address) {
        return reportError(address.error(), kExitUsage);
      }
      targets.emplace_back(t.substr(0, eq), *address);
    } else if (arg == "--known") {
      known.push_back(value());
    } else if (arg == "--ready-fd") {
      ready_fd = std::stoi(value());
    } else if (arg.starts_with("-")) {
      return usageError("serve: unknown flag '" + std::string(arg) + "'");
    } else if (file.empty()) {
      file = arg;
    } else {
      return usageError("serve: one function at a time");
    }
  }
  if (file.empty() || !listen) {
    return usageError(
        "serve: usage: roadrunner serve FUNCTION.wasm --listen unix:PATH|tcp:HOST:PORT");
  }
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

  auto engine = wasm::Engine::create(engine_options);
  if (!engine) {
    return reportError(engine.error());
  }
  auto module = engine->prepare(file);
  if (!module) {
    return reportError(module.error());
  }
  host::Router router;
  SocketEndpoints endpoints;
  addRoutes(router, endpoints, name, targets, known, *secret);
  auto actor = runtime::FunctionActor::start({.name = name,
                                              .engine = &*engine,
                                              .module = *module,
                                              .options = std::move(instance_options),
                                              .receiver = true,
                                              .router = &router,
                                              .max_payload = server_options.max_payload,
                                              .timeout_ms = handler_timeout_ms});
  if (!actor) {
    return reportError(actor.error());
  }
  auto server = transport::SocketServer::start(*listen, actor->get(), server_options);
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
  int sig = 0;
  sigwait(&stop_signals, &sig);
  (*server)->stop();
  (*actor)->stop();
  return 0;
}

int sendCommand(Args args) {
  std::optional<transport::Address> to;
  std::string target;
  std::string file;
  std::string secret_file;
  transport::SocketEndpointOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    const auto value = [&]() -> std::string {
      return i + 1 < args.size() ? std::string(args[++i]) : std::string();
    };
    if (arg == "--to") {
      auto address = transport::Address::parse(value());
      if (!address) {
        return reportError(address.error(), kExitUsage);
      }
      to = *address;
    } else if (arg == "--target") {
      target = value();
    } else if (arg == "--memfd") {
      options.memfd_threshold = 0;
    } else if (arg == "--secret-file") {
      secret_file = value();
    } else if (arg == "--timeout") {
      options.timeout_seconds = std::stoi(value());
    } else if (arg.starts_with("-")) {
      return usageError("send: unknown flag '" + std::string(arg) + "'");
    } else {
      file = arg;
    }
  }
  if (!to || file.empty()) {
    return usageError(
        "send: usage: roadrunner send --to unix:PATH|tcp:HOST:PORT [--target NAME] FILE");
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
  std::vector<std::byte> reply(64 * 1024);
  const host::DeliveryResult r =
      endpoint.deliver({.source = "roadrunner-send", .payload = *bytes, .reply = reply});
  if (r.status != host::Status::kOk) {
    std::fprintf(stderr, "roadrunner: send %s to %s: %s\n", file.c_str(), to->str().c_str(),
                 host::statusName(r.status));
    return kExitError;
  }
  std::fwrite(reply.data(), 1, std::min<std::size_t>(r.reply_len, reply.size()), stdout);
  std::fprintf(stderr, "roadrunner: delivered %zu bytes to %s (%u host copies)\n", bytes->size(),
               target.c_str(), r.copies);
  return 0;
}

}  // namespace rr::cli
