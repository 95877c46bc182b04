#include "roadrunner/runtime/runner.h"

#include <stdlib.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "roadrunner/base/log.h"
#include "roadrunner/base/try.h"
#include "roadrunner/base/unix_address.h"
#include "roadrunner/runtime/live_stats.h"
#include "roadrunner/runtime/metrics.h"
#include "roadrunner/sys/page_move.h"
#include "roadrunner/telemetry/otlp.h"
#include "roadrunner/transport/auth.h"
#include "roadrunner/transport/replica_endpoint.h"
#include "roadrunner/transport/socket_endpoint.h"

#include "output_pump.h"
#include "served_process.h"

namespace rr::runtime {
namespace {

std::vector<std::string> instanceNames(const FunctionSpec& f) {
  if (f.instances == 1) {
    return {f.name};
  }
  std::vector<std::string> names;
  names.reserve(f.instances);
  for (std::uint32_t i = 0; i < f.instances; ++i) {
    names.push_back(f.name + "#" + std::to_string(i));
  }
  return names;
}

// Every name a Router in this process routes: each receiver's function name, and for a group
// that runs here or is served, each member's "NAME#k" as well.
std::set<std::string> routableNames(const Workflow& w,
                                    const std::map<std::string, std::string>& remote_address) {
  std::set<std::string> names;
  for (const auto& f : w.functions) {
    if (!w.isReceiver(f.name)) {
      continue;  // a command: no edge points to it, so nothing routes to it
    }
    names.insert(f.name);
    if (!remote_address.contains(f.name)) {
      for (auto& name : instanceNames(f)) {
        names.insert(std::move(name));
      }
    }
  }
  return names;
}

// `roadrunner serve` flags for a served function's own sends: a --target for each instance it
// has an edge to ("NAME", or "NAME#k" in a group), and a --known for every other routable name,
// so its sends get the statuses they would get from a function in this process.
std::vector<std::string> routeArgs(const Workflow& w, const FunctionSpec& f,
                                   const std::set<std::string>& routable,
                                   const std::map<std::string, std::string>& address_of) {
  std::vector<std::string> args;
  std::set<std::string> reached;
  for (const auto& e : w.edges) {
    if (e.from != f.name) {
      continue;
    }
    reached.insert(e.to);
    for (const auto& target : instanceNames(*w.find(e.to))) {
      args.insert(args.end(), {"--target", target + "=" + address_of.at(target)});
      reached.insert(target);
    }
  }
  for (const auto& name : routable) {
    if (!reached.contains(name)) {
      args.insert(args.end(), {"--known", name});
    }
  }
  return args;
}

// The socket directories of the runs in progress (removeRunDirectories).
std::mutex run_dirs_mutex;
std::vector<std::string> run_dirs;  // under run_dirs_mutex

// A private 0700 directory for this run's sockets.
Result<std::string> makeSocketDir() {
  std::string tmpl = "/tmp/roadrunner-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return failErrno("mkdtemp", errno, tmpl);
  }
  const std::scoped_lock lock(run_dirs_mutex);
  run_dirs.push_back(tmpl);
  return tmpl;
}

// A function instance that runs in this process.
struct Started {
  const FunctionSpec* spec;
  // Our ends of the actor's stdout/stderr pipes, closed only after the actor (declared after
  // them, so destroyed first) has joined its thread. The actor's thread has a descriptor
  // table of its own, where the guest's files may reuse these numbers; closing them while it
  // runs is correct, but indistinguishable to ThreadSanitizer from closing the guest's files.
  UniqueFd out;
  UniqueFd err;
  std::unique_ptr<FunctionActor> actor;
};

// What one runWorkflow has started. The destructor owns the teardown order, whichever way the
// run ends (a set-up error half-way or the last command's exit):
//   1. the actors, commands then receivers: each joins its thread, and they borrow the router,
//      the socket endpoints and the pump's pipes;
//   2. the socket endpoints, which the actors sent through;
//   3. the serving processes (killed if still running), which the endpoints connected to;
//   4. the output pump, once every write end is closed and all output is written;
//   5. the private socket directory, once nothing listens in it.
struct Run {
  Run() = default;
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;
  ~Run() {
    metrics.reset();  // its thread reads the actors
    commands.clear();
    receivers.clear();
    socket_endpoints.clear();
    replica_endpoints.clear();
    served.clear();
    pump.join();
    if (!socket_dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(socket_dir, ec);
      const std::scoped_lock lock(run_dirs_mutex);
      std::erase(run_dirs, socket_dir);
    }
  }

  host::Tracer* tracer = nullptr;  ///< RunOptions::traces: the actors' spans go here
  host::TraceContext run_trace;    ///< the run's span: parent of every command's sends
  host::EdgeMetricsSet edges;      ///< one per workflow edge, counted by the router's routes
  host::Router router;  ///< complete before the first command starts, read-only afterwards
  /// The run's one userfaultfd, which every in-process receiver borrows for move sends (one
  /// descriptor however many instances a fan-out has); empty: move sends copy.
  std::optional<sys::PageMover> mover;
  OutputPump pump;
  std::vector<ServedProcess> served;
  std::vector<std::string> served_names;  ///< served[i] runs the instance served_names[i]
  std::vector<std::unique_ptr<transport::SocketEndpoint>> socket_endpoints;
  std::vector<std::string> socket_endpoint_function;
  std::vector<std::unique_ptr<transport::ReplicaEndpoint>> replica_endpoints;  ///< dns: edges
  std::vector<Started> receivers;
  std::vector<Started> commands;
  std::string socket_dir;  ///< kernel edges: a private 0700 directory for the sockets
  std::unique_ptr<MetricsServer> metrics;  ///< RunOptions::metrics_address
};

// The run's transports now: its kernel-mode senders' memfd pools.
TransportGauges transportGauges(const Run& run) {
  TransportGauges g;
  for (const auto& e : run.socket_endpoints) {
    g.memfd_pool_bytes += e->memfdPoolBytes();
  }
  return g;
}

// What each instance has done so far (safe while they run).
std::vector<InstanceReport> snapshot(const Run& run) {
  std::vector<InstanceReport> now;
  now.reserve(run.commands.size() + run.receivers.size());
  for (const auto& c : run.commands) {
    now.push_back(reportOf(*c.actor, false));
  }
  for (const auto& r : run.receivers) {
    now.push_back(reportOf(*r.actor, true));
  }
  return now;
}

// A serving process's environment: the run's secret, and the run's AOT cache, where runWorkflow
// has compiled its module.
std::vector<std::string> servedEnv(const RunOptions& options, const std::string& secret) {
  std::vector<std::string> env = {"RR_SECRET=" + secret};
  if (!options.cache_dir.empty()) {
    env.push_back("RR_AOT_DIR=" + options.cache_dir);
  }
  return env;
}

// Starts every function of the workflow into `run`, where `where` says it runs: served
// functions first (targets before their senders), then in-process receivers, the socket
// endpoints and the router's edges, then the commands; last, the output pump. On an error, what
// has started is in `run`, whose destructor ends it.
Result<> launch(Run& run, const Workflow& workflow, const WorkflowPlan& where,
                const RunOptions& options, const wasm::Engine& engine,
                const std::map<std::string, wasm::Module>& modules, const std::string& secret,
                const std::string& remote_secret) {
  const auto& receive_modes = where.receive_modes;
  const auto& remote_address = where.remote_address;
  if (auto mover = sys::PageMover::open()) {
    run.mover.emplace(std::move(*mover));
  } else {
    RR_LOG_DEBUG("move sends will copy: {}", mover.error().message());
  }
  const auto isServed = [&](const std::string& name) { return where.served(name); };
  const auto startInstances = [&](const FunctionSpec& f, bool receiver,
                                  std::vector<Started>& into) -> Result<> {
    std::uint32_t index = 0;
    for (const auto& name : instanceNames(f)) {
      UniqueFd out;
      UniqueFd err;
      if (options.prefix_output) {
        RR_ASSIGN_OR_RETURN(out, run.pump.add(name, 1));
        RR_ASSIGN_OR_RETURN(err, run.pump.add(name, 2));
      }
      wasm::InstanceOptions io{.args = f.args, .env = f.env, .dirs = f.dirs};
      io.args.insert(io.args.begin(), std::filesystem::path(f.wasm).filename().string());
      io.env.push_back("RR_NAME=" + name);
      io.env.push_back("RR_INSTANCE=" + std::to_string(index++));
      io.env.push_back("RR_INSTANCES=" + std::to_string(f.instances));
      io.max_memory_pages = f.memory_limit_mib * 16U;  // 64 KiB pages
      io.net_grants = f.network;
      RR_ASSIGN_OR_RETURN(auto actor,
                          FunctionActor::start({.name = name,
                                                .engine = &engine,
                                                .module = modules.at(f.name),
                                                .options = std::move(io),
                                                .receiver = receiver,
                                                .router = &run.router,
                                                .max_payload = f.max_payload,
                                                .timeout_ms = f.timeout_ms,
                                                .stdout_fd = out.get(),
                                                .stderr_fd = err.get(),
                                                .record_timings = options.record_latencies,
                                                .mover = run.mover ? &*run.mover : nullptr,
                                                .hand_off_spin = receiver,
                                                .tracer = run.tracer,
                                                .run_trace = run.run_trace}));
      into.push_back({&f, std::move(out), std::move(err), std::move(actor)});
    }
    return {};
  };

  // Served functions first, each instance in its own process. They start before any thread of
  // ours gets a private descriptor table, so no such table holds their pipes.
  std::map<std::string, std::string> address_of;  // served instance -> "unix:..." or "tcp:..."
  std::vector<const FunctionSpec*> pending;
  for (const auto& f : workflow.functions) {
    if (isServed(f.name)) {
      pending.push_back(&f);
      if (run.socket_dir.empty() && receive_modes.at(f.name) == EdgeMode::kKernel) {
        RR_ASSIGN_OR_RETURN(run.socket_dir, makeSocketDir());
      }
    }
  }
  const std::set<std::string> routable = routableNames(workflow, remote_address);
  const auto startServed = [&](const FunctionSpec& f) -> Result<> {
    std::uint32_t index = 0;
    const bool network = receive_modes.at(f.name) == EdgeMode::kNetwork;
    for (const auto& name : instanceNames(f)) {
      const std::string listen = network ? "tcp:" + options.network_host + ":0"
                                         : unixAddress(run.socket_dir + "/" + name + ".sock");
      std::vector<std::string> args = {f.wasm,
                                       "--listen",
                                       listen,
                                       "--name",
                                       f.name,
                                       "--max-payload",
                                       std::to_string(f.max_payload)};
      if (name != f.name) {
        args.insert(args.end(), {"--instance", name});  // a group member sends as NAME#K
      }
      if (!options.memfd_map) {
        args.emplace_back("--memfd-copy");
      }
      if (f.timeout_ms > 0) {
        args.insert(args.end(), {"--handler-timeout-ms", std::to_string(f.timeout_ms)});
      }
      if (f.memory_limit_mib != 0) {
        args.insert(args.end(), {"--memory-limit-mib", std::to_string(f.memory_limit_mib)});
      }
      if (options.interpreter) {
        args.emplace_back("--interpreter");
      }
      if (!options.traces.empty()) {
        args.insert(args.end(), {"--traces", options.traces});
      }
      if (options.opt_level != wasm::EngineOptions{}.opt_level) {
        args.insert(args.end(), {"-O", std::to_string(options.opt_level)});
      }
      for (const auto& e : f.env) {
        args.insert(args.end(), {"--env", e});
      }
      args.insert(args.end(),
                  {"--env", "RR_NAME=" + name, "--env", "RR_INSTANCE=" + std::to_string(index++),
                   "--env", "RR_INSTANCES=" + std::to_string(f.instances)});
      for (const auto& d : f.dirs) {
        args.insert(args.end(), {"--dir", d});
      }
      for (const auto& g : f.network) {
        args.insert(args.end(), {"--allow-net", g.str()});
      }
      const auto routes = routeArgs(workflow, f, routable, address_of);
      args.insert(args.end(), routes.begin(), routes.end());
      if (!f.args.empty()) {
        args.emplace_back("--");
        args.insert(args.end(), f.args.begin(), f.args.end());
      }
      UniqueFd out;
      UniqueFd err;
      if (options.prefix_output) {
        RR_ASSIGN_OR_RETURN(out, run.pump.add(name, 1));
        RR_ASSIGN_OR_RETURN(err, run.pump.add(name, 2));
      }
      RR_ASSIGN_OR_RETURN(
          auto process, ServedProcess::spawn(options.roadrunner_exe, args, out.get(), err.get(),
                                             options.serve_prefix, name, servedEnv(options, secret),
                                             options.ready_timeout));
      address_of[name] = process.address();
      run.served.push_back(std::move(process));
      run.served_names.push_back(name);
    }
    return {};
  };
  // Targets before the functions that send to them: a sender's --target needs their address.
  while (!pending.empty()) {
    const auto ready = std::ranges::find_if(pending, [&](const FunctionSpec* f) {
      return std::ranges::all_of(workflow.edges, [&](const EdgeSpec& e) {
        return e.from != f->name ||
               std::ranges::all_of(instanceNames(*workflow.find(e.to)),
                                   [&](const std::string& t) { return address_of.contains(t); });
      });
    });
    if (ready == pending.end()) {
      return fail(Errc::kCycle, "workflow", "served functions wait on each other");
    }
    RR_RETURN_IF_ERROR(startServed(**ready));
    pending.erase(ready);
  }

  // In-process receivers next, so every endpoint exists before any command can send; the router
  // is complete before the first command starts and read-only afterwards.
  for (const auto& f : workflow.functions) {
    if (workflow.isReceiver(f.name) && !isServed(f.name) && !remote_address.contains(f.name)) {
      RR_RETURN_IF_ERROR(startInstances(f, true, run.receivers));
    }
  }
  for (auto& r : run.receivers) {
    run.router.addEndpoint(r.spec->name, r.actor.get());
    if (r.actor->name() != r.spec->name) {
      run.router.addEndpoint(r.actor->name(), r.actor.get());  // "worker#3" addresses one instance
    }
  }
  for (const auto& f : workflow.functions) {
    if (!isServed(f.name)) {
      continue;
    }
    for (const auto& name : instanceNames(f)) {
      RR_ASSIGN_OR_RETURN(auto address, transport::Address::parse(address_of.at(name)));
      // A group's members get threads of their own, so a send to the group runs in parallel.
      const bool own_thread = f.instances > 1;
      run.socket_endpoints.push_back(std::make_unique<transport::SocketEndpoint>(
          std::move(address), f.name,
          transport::SocketEndpointOptions{
              .memfd_threshold = options.memfd_threshold,
              .splice_threshold = options.splice_threshold,
              .secret = secret,
              .thread_private_fds = options.prefix_output && !own_thread,
              .own_thread = own_thread}));
      run.socket_endpoints.back()->recordLatencies(options.record_latencies);
      run.socket_endpoint_function.push_back(name);
      run.router.addEndpoint(f.name, run.socket_endpoints.back().get());
      if (name != f.name) {
        run.router.addEndpoint(name, run.socket_endpoints.back().get());
      }
    }
  }
  for (const auto& [name, address_text] : remote_address) {
    RR_ASSIGN_OR_RETURN(auto address, transport::Address::parseTarget(address_text));
    if (address.dns()) {
      // Replicas behind one name: spread over, re-resolved as they scale.
      run.replica_endpoints.push_back(std::make_unique<transport::ReplicaEndpoint>(
          address_text, transport::ReplicaEndpoint::dnsResolver(address.host, address.port), name,
          transport::ReplicaEndpointOptions{
              .socket = {.connect_timeout_ms = 1000,
                         .secret = remote_secret,
                         .thread_private_fds = options.prefix_output}}));
      run.router.addEndpoint(name, run.replica_endpoints.back().get());
      continue;
    }
    run.socket_endpoints.push_back(std::make_unique<transport::SocketEndpoint>(
        std::move(address), name,
        transport::SocketEndpointOptions{.secret = remote_secret,
                                         .thread_private_fds = options.prefix_output}));
    run.socket_endpoints.back()->recordLatencies(options.record_latencies);
    run.socket_endpoint_function.push_back(name);
    run.router.addEndpoint(name, run.socket_endpoints.back().get());
  }
  for (const auto& e : workflow.edges) {
    const FunctionSpec* from = workflow.find(e.from);
    const FunctionSpec* to = workflow.find(e.to);
    host::EdgeMetrics* metrics = run.edges.edge(from->name, to->name, modeName(e.mode));
    for (const auto& source : instanceNames(*from)) {
      for (const auto& target : instanceNames(*to)) {
        run.router.allow(source, target, metrics);
      }
      run.router.allow(source, to->name, metrics);
    }
  }
  if (options.on_commands_starting) {
    options.on_commands_starting();
  }
  for (const auto& f : workflow.functions) {
    if (!workflow.isReceiver(f.name)) {
      RR_RETURN_IF_ERROR(startInstances(f, false, run.commands));
    }
  }
  if (options.prefix_output) {
    run.pump.start();  // after the last add(): the pump owns its sources from here on
  }
  return {};
}

// Waits for every command, then stops the receivers and the serving processes, and reports
// what each instance did.
RunReport collect(Run& run, const RunOptions& options) {
  RunReport report;
  const auto describe = [](const Started& s, bool receiver) {
    return reportOf(*s.actor, receiver);
  };
  LiveStats live(options.stats_interval, options.stats_out, [&] { return snapshot(run); });
  bool failed = false;
  for (auto& c : run.commands) {
    InstanceReport r;
    auto exit_code = c.actor->wait();
    r = describe(c, false);
    r.send_timings = c.actor->takeSendTimings();
    if (!exit_code) {
      r.error = exit_code.error().message();
      RR_LOG_ERROR("{}: {}", c.actor->name(), r.error);
      std::fprintf(stderr, "roadrunner: %s: %s\n", c.actor->name().c_str(), r.error.c_str());
      report.failures.push_back("command '" + c.actor->name() + "' failed: " + r.error);
      failed = true;
    } else {
      r.exit_code = *exit_code;
      if (*exit_code != 0) {
        report.failures.push_back("command '" + c.actor->name() + "' exited with status " +
                                  std::to_string(*exit_code));
      }
      if (report.exit_code == 0 && *exit_code != 0) {
        report.exit_code = *exit_code;
      }
    }
    report.instances.push_back(std::move(r));
  }
  if (options.on_commands_ended) {
    options.on_commands_ended();
  }
  live.stop();
  // Every send has returned: the counts are final. Both read the actors, which go below.
  report.metrics = renderMetrics(&run.edges, snapshot(run), transportGauges(run));
  run.metrics.reset();
  for (auto& r : run.receivers) {
    r.actor->stop();
  }
  for (auto& r : run.receivers) {
    InstanceReport rep = describe(r, true);
    rep.latencies = r.actor->takeLatencies();
    r.actor.reset();  // joins the thread once its queue is served
    if (rep.handler_traps > 0) {
      report.failures.push_back("receiver '" + rep.name +
                                "': " + std::to_string(rep.handler_traps) +
                                " deliveries failed (trap, proc_exit or time limit; the warnings "
                                "above say which)");
      failed = true;
    }
    report.instances.push_back(std::move(rep));
  }
  for (std::size_t i = 0; i < run.served.size(); ++i) {
    const int status = run.served[i].stop();
    report.served_peak_rss_bytes += run.served[i].peakRssBytes();
    if (status != 0) {
      RR_LOG_WARN("a serving process exited with status {}", status);
      report.failures.push_back("the serving process of '" + run.served_names[i] +
                                "' exited with status " + std::to_string(status));
      failed = true;
    }
  }
  for (std::size_t i = 0; options.record_latencies && i < run.socket_endpoints.size(); ++i) {
    InstanceReport rep{.name = run.socket_endpoint_function[i] + " (served)",
                       .receiver = true,
                       .latencies = run.socket_endpoints[i]->takeLatencies()};
    rep.deliveries = rep.latencies.size();
    report.instances.push_back(std::move(rep));
  }
  // Every function's output is written before the report is returned; ~Run does the rest.
  run.receivers.clear();
  run.commands.clear();
  run.pump.join();
  if (failed && report.exit_code == 0) {
    report.exit_code = 1;
  }
  return report;
}

}  // namespace

Result<RunReport> runWorkflow(const Workflow& workflow, const RunOptions& options) {
  RR_ASSIGN_OR_RETURN(const WorkflowPlan where, plan(workflow));
  const auto& remote_address = where.remote_address;
  // Network edges authenticate with a secret made for this run (children get it in RR_SECRET);
  // remote receivers need the one they were started with.
  RR_ASSIGN_OR_RETURN(const std::string secret, transport::randomSecret());
  std::string remote_secret;
  const bool remote_tcp = std::ranges::any_of(
      remote_address, [](const auto& entry) { return !entry.second.starts_with("unix:"); });
  if (remote_tcp) {
    if (!workflow.secret_file.empty()) {
      RR_ASSIGN_OR_RETURN(remote_secret, transport::readSecretFile(workflow.secret_file));
    } else {
      remote_secret = transport::secretFromEnvironment();
    }
    if (remote_secret.empty()) {
      return fail(Errc::kInvalidArgument, "workflow",
                  "network edges to remote receivers need 'secret_file' or RR_SECRET");
    }
  }
  // Handlers with a time limit need code that can be stopped.
  const bool interruptible = std::ranges::any_of(
      workflow.functions, [](const FunctionSpec& f) { return f.timeout_ms > 0; });
  RR_ASSIGN_OR_RETURN(const wasm::Engine engine,
                      wasm::Engine::create({.interpreter = options.interpreter,
                                            .cache_dir = options.cache_dir,
                                            .opt_level = options.opt_level,
                                            .interruptible = interruptible}));
  // A served function's process compiles its module with its own limit's setting, into the
  // cache it is given below; compiling that variant here first keeps a large module's compile
  // (a Go module's takes about 40 s) out of the serving process's ready deadline.
  std::optional<wasm::Engine> served_engine;
  const bool any_served_variant_differs =
      std::ranges::any_of(workflow.functions, [&](const FunctionSpec& f) {
        return where.served(f.name) && (f.timeout_ms > 0) != interruptible;
      });
  if (any_served_variant_differs) {
    RR_ASSIGN_OR_RETURN(served_engine, wasm::Engine::create({.interpreter = options.interpreter,
                                                             .cache_dir = options.cache_dir,
                                                             .opt_level = options.opt_level,
                                                             .interruptible = !interruptible}));
  }
  std::map<std::string, wasm::Module> modules;
  for (const auto& f : workflow.functions) {
    if (remote_address.contains(f.name)) {  // a remote function's module lives on its node
      continue;
    }
    const bool other_variant = where.served(f.name) && (f.timeout_ms > 0) != interruptible;
    const wasm::Engine& compiler =
        other_variant && served_engine.has_value() ? *served_engine : engine;
    RR_ASSIGN_OR_RETURN(modules[f.name], compiler.prepare(f.wasm));
  }

  // Everything the run starts; its destructor ends it, on every path out of here. The engine
  // and the modules, which the actors borrow, are declared before it and outlive it.
  // The metrics address is taken before anything starts (one in use is a set-up error, with no
  // function run); scrapes read the run only once it is launched.
  std::atomic<bool> launched{false};
  // The tracer outlives the run's actors, which record into it, and the run's span, which ends
  // once they have all ended; its destructor exports what is queued.
  std::unique_ptr<host::Tracer> tracer;
  std::unique_ptr<host::Span> run_span;
  if (!options.traces.empty()) {
    RR_ASSIGN_OR_RETURN(tracer, telemetry::startOtlpTracer(options.traces, "roadrunner"));
    run_span = tracer->start("roadrunner.run", host::SpanKind::kInternal, {});
    run_span->set("roadrunner.functions", static_cast<std::int64_t>(workflow.functions.size()));
  }
  Run run;
  run.tracer = tracer.get();
  run.run_trace = run_span ? run_span->context() : host::TraceContext{};
  if (!options.metrics_address.empty()) {
    RR_ASSIGN_OR_RETURN(auto address, transport::Address::parse(options.metrics_address));
    RR_ASSIGN_OR_RETURN(run.metrics, MetricsServer::start(std::move(address), [&run, &launched] {
                          return launched.load(std::memory_order_acquire)
                                     ? renderMetrics(&run.edges, snapshot(run),
                                                     transportGauges(run))
                                     : std::string();
                        }));
  }
  RR_RETURN_IF_ERROR(launch(run, workflow, where, options, engine, modules, secret, remote_secret));
  launched.store(true, std::memory_order_release);
  if (run.metrics) {
    std::fprintf(options.stats_out, "roadrunner: metrics on %s at /metrics\n",
                 run.metrics->address().str().c_str());
  }
  return collect(run, options);
}

InstanceReport reportOf(FunctionActor& actor, bool receiver) {
  host::TransferStats& st = actor.stats();
  return InstanceReport{.name = actor.name(),
                        .receiver = receiver,
                        .sends = st.sends.load(),
                        .failures = st.failures.load(),
                        .bytes = st.bytes.load(),
                        .copies = st.copies.load(),
                        .copied_bytes = st.copied_bytes.load(),
                        .sender_copied_bytes = st.sender_copied_bytes.load(),
                        .moved_bytes = st.moved_bytes.load(),
                        .mapped_bytes = st.mapped_bytes.load(),
                        .send_seconds = static_cast<double>(st.nanos.load()) * 1e-9,
                        .handler_traps = actor.handlerTraps(),
                        .handler_timeouts = actor.handlerTimeouts(),
                        .handler_exits = actor.handlerExits(),
                        .deliveries = st.deliveries.load(),
                        .delivered_bytes = st.delivered_bytes.load(),
                        .delivery_seconds = static_cast<double>(st.delivery_nanos.load()) * 1e-9,
                        .guest_counters = st.guest.snapshot()};
}

void printReport(const RunReport& report, std::FILE* out) {
  std::fprintf(out, "%-16s %8s %8s %14s %7s %12s %10s %10s %14s\n", "function", "sends", "failed",
               "bytes sent", "copies", "send time", "received", "traps", "to handler");
  for (const auto& r : report.instances) {
    std::fprintf(
        out, "%-16s %8llu %8llu %14llu %7llu %9.3f ms %10llu %10llu %11.3f ms\n", r.name.c_str(),
        static_cast<unsigned long long>(r.sends), static_cast<unsigned long long>(r.failures),
        static_cast<unsigned long long>(r.bytes), static_cast<unsigned long long>(r.copies),
        r.send_seconds * 1e3, static_cast<unsigned long long>(r.deliveries),
        static_cast<unsigned long long>(r.handler_traps), r.delivery_seconds * 1e3);
  }
}

void removeRunDirectories() noexcept {
  const std::scoped_lock lock(run_dirs_mutex);
  for (const std::string& dir : run_dirs) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  run_dirs.clear();
}

}  // namespace rr::runtime
