#include "task_service.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include <nlohmann/json.hpp>

#include "roadrunner/base/file.h"
#include "roadrunner/base/log.h"
#include "roadrunner/base/try.h"
#include "roadrunner/base/unix_address.h"
#include "roadrunner/shim/cgroup.h"
#include "roadrunner/shim/content_store.h"
#include "roadrunner/sys/socket.h"
#include "roadrunner/sys/subprocess.h"

#include "cgroup1/stats/metrics.pb.h"
#include "cgroup2/stats/metrics.pb.h"
#include "events.pb.h"
#include "mounts.h"
#include "shim.pb.h"

namespace rr::shim {
namespace {

namespace v2 = containerd::task::v2;
constexpr std::string_view kService = "containerd.task.v2.Task";

RpcResult rpcError(RpcCode code, std::string message) {
  return std::unexpected(RpcStatus{.code = code, .message = std::move(message)});
}

RpcResult rpcError(const Error& error) { return std::unexpected(toRpcStatus(error)); }

template <typename Message>
RpcResult reply(const Message& m) {
  return m.SerializeAsString();
}

template <typename Message>
Result<Message> parse(const std::string& payload) {
  Message m;
  if (!m.ParseFromString(payload)) {
    return fail(Errc::kInvalidArgument, "ttrpc", "malformed " + m.GetTypeName());
  }
  return m;
}

void setTimestamp(google::protobuf::Timestamp* ts, std::int64_t ns) {
  ts->set_seconds(ns / 1'000'000'000);
  ts->set_nanos(static_cast<std::int32_t>(ns % 1'000'000'000));
}

/// A stdio path from containerd: a FIFO (or file) opened read-write, so opening never waits for
/// the reader; a file:// URI (ctr --log-uri) appended to; "" becomes /dev/null.
Result<UniqueFd> openStdio(const std::string& path, int flags) {
  UniqueFd fd;
  std::string p = path;
  if (path.empty()) {
    p = "/dev/null";
    fd.reset(::open(p.c_str(), flags | O_CLOEXEC));
  } else if (path.starts_with("file://")) {
    p = path.substr(7);
    fd.reset(::open(p.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  } else if (path.find("://") != std::string::npos) {
    return fail(Errc::kInvalidArgument, "stdio",
                "'" + path + "': only FIFOs and file:// logs are supported");
  } else {
    fd.reset(::open(p.c_str(), O_RDWR | O_CLOEXEC));
  }
  if (!fd.valid()) {
    return failErrno("open stdio", errno, p);
  }
  return fd;
}

/// The function's cgroup for linux.cgroupsPath, limited as linux.resources says; none (logged)
/// where cgroups are not mounted or the cgroup cannot be made. A limit the kernel refuses fails
/// Create: a pod must not run without the limits it asked for.
Result<std::optional<Cgroup>> makeCgroup(const std::string& id, const BundleSpec& spec) {
  if (spec.cgroups_path.empty()) {
    return std::optional<Cgroup>();
  }
  auto cgroup = Cgroup::create(cgroupPath(spec.cgroups_path));
  if (!cgroup) {
    RR_LOG_WARN("{}: {}; running without a cgroup", id, cgroup.error().message());
    return std::optional<Cgroup>();
  }
  if (auto applied = cgroup->apply(spec.resources); !applied) {
    cgroup->remove();
    return std::unexpected(applied.error());
  }
  return std::optional<Cgroup>(std::move(*cgroup));
}

/// The pod's /etc/hosts and /etc/resolv.conf (the CRI plugin's single-file bind mounts): the
/// function's own sends resolve names (a dns: target's Service) as the pod does, through the
/// cluster's DNS, not the node's.
std::vector<std::pair<std::string, std::string>> resolverFiles(const BundleSpec& spec) {
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& m : spec.mounts) {
    if (m.isBind() && (m.destination == "/etc/hosts" || m.destination == "/etc/resolv.conf") &&
        std::filesystem::is_regular_file(m.source) &&
        std::filesystem::is_regular_file(m.destination)) {
      files.emplace_back(m.source, m.destination);
    }
  }
  return files;
}

/// A module that is no file of the rootfs may be a layer of the image (a Wasm OCI artifact):
/// then it is fetched from containerd's content store into the bundle, and its path returned.
/// "" when the module is in the rootfs, or when the image has no module layer (the engine
/// then reports the missing file).
Result<std::string> moduleFromLayer(const ShimOptions& options, const BundleSpec& spec,
                                    const std::string& id, const std::string& bundle,
                                    const std::string& rootfs) {
  const auto in_rootfs = modulePath(spec, rootfs);
  std::error_code ec;
  if (in_rootfs && std::filesystem::exists(*in_rootfs, ec)) {
    return std::string();
  }
  const ContentStore store(options.containerd_address, options.ns);
  std::string path = bundle + "/module.wasm";
  auto layer = fetchWasmModule(store, id, path);
  if (!layer && layer.error().code == Errc::kNotFound) {
    RR_LOG_INFO("{}: the module is not in the rootfs; {}", id, layer.error().message());
    return std::string();
  }
  if (!layer) {
    return std::unexpected(layer.error());
  }
  RR_LOG_INFO("{}: the module is the image's layer {} ({}, {} bytes)", id, layer->digest,
              layer->media_type, layer->size);
  return path;
}

}  // namespace

TaskService::TaskService(ShimOptions options, std::function<void()> shutdown)
    : options_(std::move(options)),
      shutdown_(std::move(shutdown)),
      engine_(makeCliEngine(options_.roadrunner)),
      registry_(options_.root, options_.ns,
                [](const std::string& path) { return sys::connectUnix(path).has_value(); }),
      publisher_(options_.publish_binary, options_.containerd_address, options_.ns) {}

RpcResult TaskService::handle(std::string_view service, std::string_view method,
                              const std::string& payload) {
  if (service != kService) {
    return rpcError(RpcCode::kUnimplemented, "service " + std::string(service) + " not served");
  }
  if (method == "Create") {
    return create(payload);
  }
  if (method == "Start") {
    return start(payload);
  }
  if (method == "State") {
    return state(payload);
  }
  if (method == "Wait") {
    return wait(payload);
  }
  if (method == "Kill") {
    return kill(payload);
  }
  if (method == "Delete") {
    return remove(payload);
  }
  if (method == "Pids") {
    return pids(payload);
  }
  if (method == "Connect") {
    return connect(payload);
  }
  if (method == "Shutdown") {
    return shutdown(payload);
  }
  if (method == "CloseIO") {
    return std::string();  // stdin is /dev/null: nothing to close
  }
  if (method == "Stats") {
    return stats(payload);
  }
  if (method == "Update") {
    return update(payload);
  }
  return rpcError(RpcCode::kUnimplemented,
                  std::string(method) + " is not supported by the roadrunner runtime");
}

Result<TaskService::Task*> TaskService::find(const std::string& id, const std::string& exec_id) {
  if (!task_ || task_->id != id) {
    return fail(Errc::kNotFound, "task", "no task '" + id + "' in this shim");
  }
  if (!exec_id.empty()) {
    return fail(Errc::kNotFound, "task",
                "no exec process '" + exec_id + "' (exec is not supported)");
  }
  return &*task_;
}

RpcResult TaskService::create(const std::string& payload) {
  auto req = parse<v2::CreateTaskRequest>(payload);
  if (!req) {
    return rpcError(req.error());
  }
  const std::scoped_lock lock(mu_);
  if (task_) {
    return rpcError(RpcCode::kAlreadyExists, "this shim already runs task '" + task_->id + "'");
  }
  if (req->terminal()) {
    return rpcError(RpcCode::kInvalidArgument,
                    "a terminal (-t) is not supported by the roadrunner "
                    "runtime");
  }
  auto fail_create = [&](const Error& e) {
    RR_LOG_ERROR("create {}: {}", req->id(), e.message());
    return rpcError(e);
  };
  auto spec = loadBundle(req->bundle());
  if (!spec) {
    return fail_create(spec.error());
  }
  Task task{.id = req->id(),
            .bundle = req->bundle(),
            .stdin_path = req->stdin(),
            .stdout_path = req->stdout(),
            .stderr_path = req->stderr()};
  task.rootfs =
      spec->root_path.starts_with('/') ? spec->root_path : req->bundle() + "/" + spec->root_path;
  if (req->rootfs_size() > 0) {
    std::vector<RootfsMount> mounts;
    for (const auto& m : req->rootfs()) {
      mounts.push_back({m.type(), m.source(), {m.options().begin(), m.options().end()}});
    }
    task.rootfs = req->bundle() + "/rootfs";
    if (auto mounted = mountRootfs(mounts, task.rootfs); !mounted) {
      unmountRootfs(task.rootfs);
      return fail_create(mounted.error());
    }
    task.mounted = true;
  }
  // From here on, a failure unmounts the rootfs again.
  auto result = [&]() -> Result<ChildSpec> {
    const auto& ann = spec->annotations;
    const bool sandbox = ann.contains("io.kubernetes.cri.container-type") &&
                         ann.at("io.kubernetes.cri.container-type") == "sandbox";
    ChildSpec child{.env = {}, .netns_path = spec->netns_path};
    if (!sandbox) {
      child.bind_files = resolverFiles(*spec);
    }
    if (sandbox) {
      // A pod's sandbox runs no function: a placeholder holds its place until killed.
      RR_LOG_INFO("{}: pod sandbox; a placeholder process stands in for it", task.id);
    } else {
      const std::string default_name = ann.contains("io.kubernetes.cri.container-name")
                                           ? ann.at("io.kubernetes.cri.container-name")
                                           : task.id;
      TaskContext ctx{
          .id = task.id, .bundle_dir = task.bundle, .rootfs = task.rootfs, .spec = *spec};
      RR_ASSIGN_OR_RETURN(ctx.module_path,
                          moduleFromLayer(options_, *spec, task.id, task.bundle, task.rootfs));
      RR_ASSIGN_OR_RETURN(ctx.wiring, parseWiring(ann, default_name));
      bool network = false;
      for (const auto& t : ctx.wiring.targets) {
        RR_ASSIGN_OR_RETURN(const auto entry, registry_.lookup(t.name));
        // A dns: address names the replicas behind a Service, this node's among them: it wins
        // over the node's registry, so deliveries spread over all of them.
        if (entry && !t.address.starts_with("dns:")) {
          ctx.targets.push_back({t.name, entry->address});
        } else if (!t.address.empty()) {
          ctx.targets.push_back({t.name, t.address});
        } else {
          return fail(Errc::kNotFound, "target",
                      "'" + t.name + "' is not registered on this node (" +
                          registry_.entryPath(t.name) +
                          ") and has no address; start its receiver first, or give "
                          "roadrunner.io/targets: " +
                          t.name + "=tcp:HOST:PORT");
        }
        network = network || !ctx.targets.back().kernel();
        RR_LOG_INFO("{}: target '{}' in {} mode at {}", task.id, t.name,
                    ctx.targets.back().kernel() ? "kernel" : "network", ctx.targets.back().address);
      }
      if (ctx.wiring.receiver) {
        if (ctx.wiring.listen == "unix") {
          task.socket_path = registry_.socketPath(ctx.wiring.name);
          ctx.listen_address = unixAddress(task.socket_path);
          std::error_code ec;
          std::filesystem::create_directories(std::filesystem::path(task.socket_path).parent_path(),
                                              ec);
        } else {
          ctx.listen_address = ctx.wiring.listen;
          network = true;
        }
        RR_ASSIGN_OR_RETURN(const auto existing, registry_.lookup(ctx.wiring.name));
        // Refused here already, before anything runs; Start checks again when it registers.
        const auto existing_path = existing ? parseUnixAddress(existing->address) : std::nullopt;
        const bool taken = existing && existing->owner != task.id &&
                           (!existing_path || std::filesystem::exists(*existing_path));
        task.listen_address = ctx.listen_address;
        if (taken && ctx.wiring.listen != "unix") {
          // One more replica of a receiver on TCP: senders reach it by its address (a
          // Service's dns: name), and the node's name stays with the first.
          RR_LOG_INFO(
              "{}: '{}' is registered by container {}; this replica is reached at its "
              "address only",
              task.id, ctx.wiring.name, existing->owner);
        } else if (taken) {
          return failErrno(
              "register", EEXIST,
              "'" + ctx.wiring.name + "' is already registered by container " + existing->owner);
        } else {
          task.registered_name = ctx.wiring.name;
        }
      }
      if (network) {
        if (ctx.wiring.secret_file.empty()) {
          return fail(Errc::kInvalidArgument, "annotation",
                      "network edges (tcp) need roadrunner.io/secret-file");
        }
        ctx.secret_host_path = hostPath(*spec, task.rootfs, ctx.wiring.secret_file);
        if (::access(ctx.secret_host_path.c_str(), R_OK) != 0) {
          return failErrno("roadrunner.io/secret-file", errno, ctx.wiring.secret_file);
        }
      }
      RR_RETURN_IF_ERROR(engine_->canHandle(ctx));
      RR_ASSIGN_OR_RETURN(const Launch launch, engine_->plan(ctx));
      for (const auto& dir : launch.make_dirs) {
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
      }
      if (!launch.workflow_path.empty()) {
        RR_RETURN_IF_ERROR(writeFileAtomic(
            launch.workflow_path,
            std::span(reinterpret_cast<const std::byte*>(launch.workflow_json.data()),
                      launch.workflow_json.size())));
      }
      child.argv = launch.argv;
      child.ready_pipe = launch.ready_fd;
      task.ready_fd = launch.ready_fd;
      child.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
      if (const char* v = std::getenv("RR_LOG"); v != nullptr) {
        child.env.push_back(std::string("RR_LOG=") + v);
      }
      // AOT code that root runs stays in root's directory, never under a shared /tmp.
      const char* cache = std::getenv("RR_CACHE_DIR");
      child.env.push_back("RR_CACHE_DIR=" + (cache != nullptr && *cache != '\0'
                                                 ? std::string(cache)
                                                 : options_.root + "/cache"));
      std::vector<std::string> shown = launch.argv;  // env values may be secrets: keys only
      for (std::size_t i = 1; i < shown.size(); ++i) {
        if (shown[i - 1] == "--env") {
          shown[i] = shown[i].substr(0, shown[i].find('=')) + "=...";
        }
      }
      RR_LOG_INFO("{}: runs {}", task.id, nlohmann::json(shown).dump());
    }
    RR_ASSIGN_OR_RETURN(child.stdin_fd, openStdio("", O_RDONLY));
    RR_ASSIGN_OR_RETURN(child.stdout_fd, openStdio(task.stdout_path, O_WRONLY));
    RR_ASSIGN_OR_RETURN(child.stderr_fd, openStdio(task.stderr_path, O_WRONLY));
    RR_ASSIGN_OR_RETURN(task.cgroup, makeCgroup(task.id, *spec));
    if (task.cgroup) {
      child.cgroup_dirs = task.cgroup->dirs();
    }
    return child;
  }();
  if (!result) {
    if (task.mounted) {
      unmountRootfs(task.rootfs);
    }
    return fail_create(result.error());
  }
  auto child = Child::spawn(std::move(*result), [this](const ChildExit& e) { onExit(e); });
  if (!child) {
    if (task.mounted) {
      unmountRootfs(task.rootfs);
    }
    if (task.cgroup) {
      task.cgroup->remove();
    }
    return fail_create(child.error());
  }
  task.child = std::move(*child);
  task_ = std::move(task);
  writeState(*task_);
  containerd::events::TaskCreate event;
  event.set_container_id(task_->id);
  event.set_bundle(task_->bundle);
  *event.mutable_rootfs() = req->rootfs();
  event.mutable_io()->set_stdin(task_->stdin_path);
  event.mutable_io()->set_stdout(task_->stdout_path);
  event.mutable_io()->set_stderr(task_->stderr_path);
  event.set_pid(static_cast<std::uint32_t>(task_->child->pid()));
  publisher_.publish("/tasks/create", event);
  v2::CreateTaskResponse response;
  response.set_pid(static_cast<std::uint32_t>(task_->child->pid()));
  return reply(response);
}

RpcResult TaskService::start(const std::string& payload) {
  auto req = parse<v2::StartRequest>(payload);
  if (!req) {
    return rpcError(req.error());
  }
  std::shared_ptr<Child> child;
  bool ready_fd = false;
  std::string id;
  {
    const std::scoped_lock lock(mu_);
    auto task = find(req->id(), req->exec_id());
    if (!task) {
      return rpcError(task.error());
    }
    if ((*task)->status != Status::kCreated) {
      return rpcError(RpcCode::kFailedPrecondition, "task '" + req->id() + "' was already started");
    }
    child = (*task)->child;
    ready_fd = (*task)->ready_fd;
    id = (*task)->id;
  }
  if (auto released = child->release(); !released) {
    RR_LOG_ERROR("start {}: {}", id, released.error().message());
    return rpcError(released.error());
  }
  std::optional<std::string> ready;
  Result<std::string> ready_line = std::string();
  if (ready_fd) {
    ready_line = sys::readReadyLine(child->readyFd());  // within sys::kReadyDeadline
    if (ready_line) {
      ready = *ready_line;
    }
  }
  if (ready_fd && !ready) {
    // The receiver exited (or hung) before it listened; its own message is on its stderr.
    std::unique_lock lock(mu_);
    (void)child->signal(SIGKILL, true);
    exited_.wait_for(lock, std::chrono::seconds(5),
                     [&] { return task_ && task_->status == Status::kStopped; });
    const bool hung = ready_line.error().code == Errc::kTimedOut;
    const std::string message =
        "start " + id + ": the receiver " +
        (hung ? "did not report that it listens within " +
                    std::to_string(sys::kReadyDeadline.count()) + " ms and was killed"
              : "exited before it listened") +
        " (exit status " + std::to_string(task_ ? task_->exit_status : 0) +
        "); see the container's stderr";
    RR_LOG_ERROR("{}", message);
    return rpcError(RpcCode::kFailedPrecondition, message);
  }
  const std::scoped_lock lock(mu_);
  if (!task_) {
    return rpcError(RpcCode::kNotFound, "task '" + id + "' was deleted while starting");
  }
  if (task_->status == Status::kCreated) {
    task_->status = Status::kRunning;
  }
  if (ready && !ready->empty()) {
    task_->listen_address = *ready;  // the port the kernel picked for tcp:HOST:0
  }
  if (!task_->registered_name.empty() && task_->status == Status::kRunning) {
    auto added = registry_.add(task_->registered_name,
                               {.address = task_->listen_address, .owner = task_->id});
    if (!added && added.error().code == std::errc::file_exists &&
        !task_->listen_address.starts_with("unix:")) {
      // A replica on TCP that started just after another one took the name (see Create).
      RR_LOG_INFO("{}: {}; this replica is reached at its address only", id,
                  added.error().message());
      task_->registered_name.clear();
    } else if (!added) {
      RR_LOG_ERROR("start {}: {}", id, added.error().message());
      (void)child->signal(SIGKILL, true);
      return rpcError(added.error());
    }
    task_->registered = !task_->registered_name.empty();
    if (task_->registered) {
      RR_LOG_INFO("{}: '{}' registered at {}", id, task_->registered_name, task_->listen_address);
    }
  }
  writeState(*task_);
  containerd::events::TaskStart event;
  event.set_container_id(id);
  event.set_pid(static_cast<std::uint32_t>(child->pid()));
  publisher_.publish("/tasks/start", event);
  v2::StartResponse response;
  response.set_pid(static_cast<std::uint32_t>(child->pid()));
  return reply(response);
}

void TaskService::onExit(const ChildExit& exit) {
  const std::scoped_lock lock(mu_);
  if (!task_) {
    return;
  }
  task_->status = Status::kStopped;
  task_->exit_status = static_cast<std::uint32_t>(exit.status);
  task_->exited_at_ns = exit.at_ns;
  if (task_->registered) {
    (void)registry_.remove(task_->registered_name, task_->id);
    task_->registered = false;
  }
  RR_LOG_INFO("{}: pid {} exited with status {}", task_->id, task_->child->pid(), exit.status);
  containerd::events::TaskExit event;
  event.set_container_id(task_->id);
  event.set_id(task_->id);
  event.set_pid(static_cast<std::uint32_t>(task_->child->pid()));
  event.set_exit_status(task_->exit_status);
  setTimestamp(event.mutable_exited_at(), exit.at_ns);
  publisher_.publish("/tasks/exit", event);
  exited_.notify_all();
}

RpcResult TaskService::state(const std::string& payload) {
  auto req = parse<v2::StateRequest>(payload);
  if (!req) {
    return rpcError(req.error());
  }
  const std::scoped_lock lock(mu_);
  auto task = find(req->id(), req->exec_id());
  if (!task) {
    return rpcError(task.error());
  }
  const Task& t = **task;
  v2::StateResponse response;
  response.set_id(t.id);
  response.set_bundle(t.bundle);
  response.set_pid(static_cast<std::uint32_t>(t.child->pid()));
  response.set_status(static_cast<containerd::v1::types::Status>(t.status));
  response.set_stdin(t.stdin_path);
  response.set_stdout(t.stdout_path);
  response.set_stderr(t.stderr_path);
  if (t.status == Status::kStopped) {
    response.set_exit_status(t.exit_status);
    setTimestamp(response.mutable_exited_at(), t.exited_at_ns);
  }
  return reply(response);
}

RpcResult TaskService::wait(const std::string& payload) {
  auto req = parse<v2::WaitRequest>(payload);
  if (!req) {
    return rpcError(req.error());
  }
  std::unique_lock lock(mu_);
  auto task = find(req->id(), req->exec_id());
  if (!task) {
    return rpcError(task.error());
  }
  const std::string id = req->id();
  // As long as the task runs: Kill, Delete or the shim's shutdown ends it.
  exited_.wait(lock, [&] {
    return stopping_ || !task_ || task_->id != id || task_->status == Status::kStopped;
  });
  if (stopping_ && task_ && task_->status != Status::kStopped) {
    return rpcError(RpcCode::kUnavailable, "the shim is shutting down");
  }
  if (!task_ || task_->id != id) {
    return rpcError(RpcCode::kNotFound, "task '" + id + "' was deleted");
  }
  v2::WaitResponse response;
  response.set_exit_status(task_->exit_status);
  setTimestamp(response.mutable_exited_at(), task_->exited_at_ns);
  return reply(response);
}

RpcResult TaskService::kill(const std::string& payload) {
  auto req = parse<v2::KillRequest>(payload);
  if (!req) {
    return rpcError(req.error());
  }
  const std::scoped_lock lock(mu_);
  auto task = find(req->id(), req->exec_id());
  if (!task) {
    return rpcError(task.error());
  }
  if ((*task)->status == Status::kStopped) {
    return rpcError(RpcCode::kNotFound, "process already finished");
  }
  const int sig = static_cast<int>(req->signal());
  if (sig <= 0 || sig >= NSIG) {
    return rpcError(RpcCode::kInvalidArgument, "signal " + std::to_string(sig) + " is not valid");
  }
  // `roadrunner` forwards nothing itself, so the whole group gets the signal: the CLI and any
  // `serve` it started.
  if (auto sent = (*task)->child->signal(sig, true); !sent) {
    return rpcError(sent.error());
  }
  RR_LOG_INFO("{}: signal {} to process group {}", (*task)->id, sig, (*task)->child->pid());
  return std::string();
}

void TaskService::cleanup(Task& task) {
  if (task.registered) {
    (void)registry_.remove(task.registered_name, task.id);
    task.registered = false;
  }
  if (!task.socket_path.empty()) {
    ::unlink(task.socket_path.c_str());
  }
  if (task.mounted) {
    unmountRootfs(task.rootfs);
    task.mounted = false;
  }
  if (task.cgroup) {
    task.cgroup->remove();
  }
  ::unlink((task.bundle + "/" + std::string(kStateFile)).c_str());
}

RpcResult TaskService::remove(const std::string& payload) {
  auto req = parse<v2::DeleteRequest>(payload);
  if (!req) {
    return rpcError(req.error());
  }
  std::unique_lock lock(mu_);
  auto task = find(req->id(), req->exec_id());
  if (!task) {
    return rpcError(task.error());
  }
  if ((*task)->status == Status::kRunning) {
    return rpcError(RpcCode::kFailedPrecondition,
                    "task '" + req->id() + "' is running; kill it first");
  }
  if ((*task)->status == Status::kCreated) {
    // Never started: the child waits at its gate and dies with it.
    (void)(*task)->child->signal(SIGKILL, true);
    exited_.wait_for(lock, std::chrono::seconds(5),
                     [&] { return task_ && task_->status == Status::kStopped; });
  }
  cleanup(*task_);
  v2::DeleteResponse response;
  response.set_pid(static_cast<std::uint32_t>(task_->child->pid()));
  response.set_exit_status(task_->exit_status);
  setTimestamp(response.mutable_exited_at(), task_->exited_at_ns);
  containerd::events::TaskDelete event;
  event.set_container_id(task_->id);
  event.set_pid(response.pid());
  event.set_exit_status(response.exit_status());
  *event.mutable_exited_at() = response.exited_at();
  publisher_.publish("/tasks/delete", event);
  RR_LOG_INFO("{}: deleted", task_->id);
  // Destroyed after the lock is released: ~Child joins the thread whose on_exit takes mu_.
  const std::shared_ptr<Child> child = std::move(task_->child);
  task_.reset();
  exited_.notify_all();
  lock.unlock();
  return reply(response);
}

RpcResult TaskService::pids(const std::string& payload) {
  auto req = parse<v2::PidsRequest>(payload);
  if (!req) {
    return rpcError(req.error());
  }
  const std::scoped_lock lock(mu_);
  auto task = find(req->id(), "");
  if (!task) {
    return rpcError(task.error());
  }
  v2::PidsResponse response;
  if ((*task)->status != Status::kStopped) {
    // Every process in the child's group: the CLI and any `serve` it started.
    const pid_t group = (*task)->child->pid();
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      const std::string name = entry.path().filename().string();
      if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) {
        continue;
      }
      const pid_t pid = static_cast<pid_t>(std::stol(name));
      if (::getpgid(pid) == group) {
        response.add_processes()->set_pid(static_cast<std::uint32_t>(pid));
      }
    }
  }
  return reply(response);
}

RpcResult TaskService::connect(const std::string& payload) {
  auto req = parse<v2::ConnectRequest>(payload);
  if (!req) {
    return rpcError(req.error());
  }
  const std::scoped_lock lock(mu_);
  v2::ConnectResponse response;
  response.set_shim_pid(static_cast<std::uint32_t>(::getpid()));
  if (task_) {
    response.set_task_pid(static_cast<std::uint32_t>(task_->child->pid()));
  }
  response.set_version("roadrunner 0.1.0");
  return reply(response);
}

RpcResult TaskService::shutdown(const std::string& payload) {
  auto req = parse<v2::ShutdownRequest>(payload);
  if (!req) {
    return rpcError(req.error());
  }
  {
    const std::scoped_lock lock(mu_);
    if (task_ && !req->now()) {
      return std::string();  // a task is left: the shim stays
    }
  }
  stop();
  publisher_.drain(2000);
  shutdown_();
  return std::string();
}

void TaskService::stop() {
  {
    const std::scoped_lock lock(mu_);
    stopping_ = true;
  }
  exited_.notify_all();
}

TaskService::~TaskService() {
  stop();
  std::shared_ptr<Child> child;
  {
    const std::scoped_lock lock(mu_);
    if (task_) {
      child = std::move(task_->child);
      task_.reset();
    }
  }
  child.reset();  // kills a child that still runs and joins its thread, whose on_exit takes mu_
}

namespace {

/// containerd's cgroup v1 metrics, as its CRI reads them for ContainerStats.
google::protobuf::Any metricsV1(const CgroupStats& s) {
  io::containerd::cgroups::v1::Metrics m;
  auto* usage = m.mutable_cpu()->mutable_usage();
  usage->set_total(s.cpu_usage_ns);
  usage->set_user(s.cpu_user_ns);
  usage->set_kernel(s.cpu_system_ns);
  auto* memory = m.mutable_memory();
  memory->set_rss(s.memory_rss);
  memory->set_total_rss(s.memory_rss);
  memory->set_cache(s.memory_cache);
  memory->set_total_cache(s.memory_cache);
  memory->set_inactive_file(s.memory_inactive_file);
  memory->set_total_inactive_file(s.memory_inactive_file);
  memory->set_pg_fault(s.page_faults);
  memory->set_total_pg_fault(s.page_faults);
  memory->set_pg_maj_fault(s.major_page_faults);
  memory->set_total_pg_maj_fault(s.major_page_faults);
  memory->mutable_usage()->set_usage(s.memory_usage);
  memory->mutable_usage()->set_limit(s.memory_limit);
  m.mutable_pids()->set_current(s.pids);
  google::protobuf::Any any;
  any.set_type_url("io.containerd.cgroups.v1.Metrics");
  any.set_value(m.SerializeAsString());
  return any;
}

/// containerd's cgroup v2 metrics.
google::protobuf::Any metricsV2(const CgroupStats& s) {
  io::containerd::cgroups::v2::Metrics m;
  m.mutable_cpu()->set_usage_usec(s.cpu_usage_ns / 1000);
  m.mutable_cpu()->set_user_usec(s.cpu_user_ns / 1000);
  m.mutable_cpu()->set_system_usec(s.cpu_system_ns / 1000);
  auto* memory = m.mutable_memory();
  memory->set_usage(s.memory_usage);
  memory->set_usage_limit(s.memory_limit);
  memory->set_anon(s.memory_rss);
  memory->set_file(s.memory_cache);
  memory->set_inactive_file(s.memory_inactive_file);
  memory->set_pgfault(s.page_faults);
  memory->set_pgmajfault(s.major_page_faults);
  m.mutable_pids()->set_current(s.pids);
  google::protobuf::Any any;
  any.set_type_url("io.containerd.cgroups.v2.Metrics");
  any.set_value(m.SerializeAsString());
  return any;
}

}  // namespace

RpcResult TaskService::stats(const std::string& payload) {
  auto req = parse<v2::StatsRequest>(payload);
  if (!req) {
    return rpcError(req.error());
  }
  const std::scoped_lock lock(mu_);
  auto task = find(req->id(), "");
  if (!task) {
    return rpcError(task.error());
  }
  v2::StatsResponse response;
  const auto& cgroup = (*task)->cgroup;
  if (!cgroup) {
    // No cgroup to read: empty v2 metrics, which containerd's CRI decodes as zeros instead of
    // failing every stats call.
    response.mutable_stats()->set_type_url("io.containerd.cgroups.v2.Metrics");
    return reply(response);
  }
  auto s = cgroup->stats();
  if (!s) {
    return rpcError(s.error());
  }
  *response.mutable_stats() =
      cgroup->version() == Cgroup::Version::kV1 ? metricsV1(*s) : metricsV2(*s);
  return reply(response);
}

RpcResult TaskService::update(const std::string& payload) {
  auto req = parse<v2::UpdateTaskRequest>(payload);
  if (!req) {
    return rpcError(req.error());
  }
  const std::scoped_lock lock(mu_);
  auto task = find(req->id(), "");
  if (!task) {
    return rpcError(task.error());
  }
  // containerd sends the OCI LinuxResources as JSON in the Any (typeurl's JSON encoding).
  auto resources = parseResources(req->resources().value());
  if (!resources) {
    return rpcError(resources.error());
  }
  const auto& cgroup = (*task)->cgroup;
  if (!cgroup.has_value()) {
    return rpcError(RpcCode::kFailedPrecondition,
                    "task '" + req->id() + "' runs without a cgroup; its resources cannot change");
  }
  if (auto applied = cgroup->apply(*resources); !applied) {
    return rpcError(applied.error());
  }
  RR_LOG_INFO("{}: resources updated (the guest's linear-memory cap stays as it started)",
              req->id());
  return std::string();  // google.protobuf.Empty
}

void TaskService::writeState(const Task& task) const {
  const nlohmann::json state{
      {"pid", task.child ? task.child->pid() : 0},
      {"registered_name", task.registered_name},
      {"socket_path", task.socket_path},
      {"rootfs", task.rootfs},
      {"mounted", task.mounted},
      {"cgroup_dirs", task.cgroup ? task.cgroup->dirs() : std::vector<std::string>()}};
  const std::string text = state.dump() + "\n";
  (void)writeFileAtomic(task.bundle + "/" + std::string(kStateFile),
                        std::span(reinterpret_cast<const std::byte*>(text.data()), text.size()));
}

}  // namespace rr::shim
