// containerd-shim-roadrunner-v1: containerd's runtime-v2 shim for Roadrunner functions.
//
//   ... -namespace NS -address SOCK -publish-binary BIN -id ID start
//       makes the shim's ttrpc socket, starts the long-lived shim on it, prints its address
//   ... -namespace NS -address SOCK -id ID -bundle DIR delete
//       cleans up after a shim that died; prints a DeleteResponse
//   ... -namespace NS -address SOCK -publish-binary BIN -id ID    (with RR_SHIM_LISTEN_FD)
//       the long-lived shim: serves containerd.task.v2.Task until Shutdown

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "roadrunner/base/file.h"
#include "roadrunner/base/log.h"
#include "roadrunner/base/sha256.h"
#include "roadrunner/base/unique_fd.h"
#include "roadrunner/shim/content_store.h"
#include "roadrunner/shim/registry.h"
#include "roadrunner/sys/socket.h"
#include "roadrunner/sys/subprocess.h"

#include "child.h"
#include "mounts.h"
#include "shim.pb.h"
#include "task_service.h"
#include "ttrpc_server.h"

extern char** environ;

namespace rr::shim {
namespace {

constexpr int kExitError = 1;

struct Flags {
  std::map<std::string, std::string> values;
  std::string action;  ///< "start", "delete" or "" (the long-lived shim)
  [[nodiscard]] std::string get(const std::string& key) const {
    const auto it = values.find(key);
    return it == values.end() ? "" : it->second;
  }
};

/// Go's flag syntax, as containerd passes it: -name value, --name=value; -debug is boolean.
Flags parseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (!arg.starts_with('-')) {
      flags.action = arg;
      continue;
    }
    arg.erase(0, arg.find_first_not_of('-'));
    if (const auto eq = arg.find('='); eq != std::string::npos) {
      flags.values[arg.substr(0, eq)] = arg.substr(eq + 1);
    } else if (arg == "debug" || arg == "v" || arg == "version") {
      flags.values[arg] = "true";
    } else if (i + 1 < argc) {
      flags.values[arg] = argv[++i];
    }
  }
  return flags;
}

std::string selfPath() { return sys::selfExecutable(); }

/// The roadrunner executable: $RR_SHIM_ROADRUNNER, else `roadrunner` beside this binary.
std::string roadrunnerPath() {
  if (const char* env = std::getenv("RR_SHIM_ROADRUNNER"); env != nullptr && *env != '\0') {
    return env;
  }
  return std::filesystem::path(selfPath()).parent_path().string() + "/roadrunner";
}

std::string socketPathFor(const Flags& flags) {
  const std::string key =
      flags.get("address") + "|" + flags.get("namespace") + "|" + flags.get("id");
  const auto digest = sha256(std::span(reinterpret_cast<const std::byte*>(key.data()), key.size()));
  return shimRoot() + "/s/" + toHex(digest).substr(0, 32) + ".sock";
}

bool unixAlive(const std::string& path) { return sys::connectUnix(path).has_value(); }

int startCommand(const Flags& flags, int argc, char** argv) {
  const std::string path = socketPathFor(flags);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (unixAlive(path)) {
    std::printf("unix://%s\n", path.c_str());  // a shim already serves this task
    return 0;
  }
  // listenUnix replaces a stale socket that nothing accepts on any more.
  auto listener = sys::listenUnix(path);
  if (!listener) {
    std::fprintf(stderr, "the shim socket: %s\n", listener.error().message().c_str());
    return kExitError;
  }
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) {
    if (std::string_view(argv[i]) != "start") {
      args.emplace_back(argv[i]);
    }
  }
  args[0] = selfPath();
  std::vector<std::string> env_strings{"RR_SHIM_LISTEN_FD=3"};
  for (char** e = environ; *e != nullptr; ++e) {
    if (!std::string_view(*e).starts_with("RR_SHIM_LISTEN_FD=")) {
      env_strings.emplace_back(*e);
    }
  }
  const UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null.valid()) {
    std::fprintf(stderr, "open /dev/null: %s\n", std::strerror(errno));
    return kExitError;
  }
  // The long-lived shim: its own session, the socket on fd 3, nothing of containerd's pipes
  // (containerd waits for this command's output to end). It outlives this command.
  auto shim = sys::Subprocess::spawn(
      {.argv = std::move(args),
       .env = std::move(env_strings),
       .fds = {{null.get(), 0}, {null.get(), 1}, {null.get(), 2}, {listener->get(), 3}},
       .new_session = true});
  if (!shim) {
    std::fprintf(stderr, "start the shim: %s\n", shim.error().message().c_str());
    return kExitError;
  }
  (void)shim->release();
  const std::string address = "unix://" + path;
  (void)writeFileAtomic(
      "address", std::span(reinterpret_cast<const std::byte*>(address.data()), address.size()));
  std::printf("%s\n", address.c_str());
  return 0;
}

int deleteCommand(const Flags& flags) {
  std::string bundle = flags.get("bundle");
  if (bundle.empty()) {
    std::error_code ec;
    bundle = std::filesystem::current_path(ec).string();
  }
  const std::string state_path = bundle + "/" + std::string(kStateFile);
  std::uint32_t pid = 0;
  if (auto bytes = readFile(state_path); bytes) {
    const auto state = nlohmann::json::parse(
        std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()), nullptr,
        false);
    if (state.is_object()) {
      pid = state.value("pid", 0u);
      if (pid > 0) {
        ::kill(-static_cast<pid_t>(pid), SIGKILL);
        ::kill(static_cast<pid_t>(pid), SIGKILL);
      }
      const Registry registry(shimRoot(), flags.get("namespace"), unixAlive);
      if (const std::string name = state.value("registered_name", ""); !name.empty()) {
        (void)registry.remove(name, flags.get("id"));
      }
      if (const std::string socket = state.value("socket_path", ""); !socket.empty()) {
        ::unlink(socket.c_str());
      }
      if (state.value("mounted", false)) {
        unmountRootfs(state.value("rootfs", bundle + "/rootfs"));
      }
      // The group was just SIGKILLed; each cgroup empties once the kernel reaped it.
      for (const auto& cgroup : state.value("cgroup_dirs", std::vector<std::string>())) {
        for (int i = 0; i < 50 && ::rmdir(cgroup.c_str()) != 0 && errno == EBUSY; ++i) {
          ::usleep(10'000);
        }
      }
    }
    ::unlink(state_path.c_str());
  }
  ::unlink(socketPathFor(flags).c_str());
  containerd::task::v2::DeleteResponse response;
  response.set_pid(pid);
  response.set_exit_status(128 + SIGKILL);
  const std::int64_t now = nowNs();
  response.mutable_exited_at()->set_seconds(now / 1'000'000'000);
  response.mutable_exited_at()->set_nanos(static_cast<std::int32_t>(now % 1'000'000'000));
  const std::string out = response.SerializeAsString();
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return 0;
}

int serveCommand(const Flags& flags) {
  // Logs go to the bundle's "log" FIFO, which containerd copies into its own log.
  // Opened non-blocking, so a FIFO without a reader yet does not hold us here; written blocking.
  const int log = ::open("log", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (log >= 0) {
    if (::fcntl(log, F_SETFL, 0) == 0) {
      ::dup2(log, 1);
      ::dup2(log, 2);
    }
    ::close(log);
  }
  ::signal(SIGPIPE, SIG_IGN);
  rr::log::init();
  spdlog::logger* logger = rr::log::logger();
  logger->set_pattern("containerd-shim-roadrunner-v1: %l: %v");
  if (std::getenv("RR_LOG") == nullptr) {
    logger->set_level(spdlog::level::info);
  }
  logger->flush_on(spdlog::level::info);
  const char* listen_env = std::getenv("RR_SHIM_LISTEN_FD");
  if (listen_env == nullptr) {
    RR_LOG_ERROR("no listening socket: run through `start` (containerd does)");
    return kExitError;
  }
  int listen_fd = -1;
  const std::string_view listen_text(listen_env);
  const auto parsed =
      std::from_chars(listen_text.data(), listen_text.data() + listen_text.size(), listen_fd);
  if (parsed.ec != std::errc{} || parsed.ptr != listen_text.data() + listen_text.size()) {
    RR_LOG_ERROR("RR_SHIM_LISTEN_FD={}: not a descriptor number", listen_env);
    return kExitError;
  }
  if (::fcntl(listen_fd, F_SETFD, FD_CLOEXEC) != 0) {  // or every task's process inherits it
    RR_LOG_ERROR("RR_SHIM_LISTEN_FD={}: {}", listen_env, std::strerror(errno));
    return kExitError;
  }
  ::unsetenv("RR_SHIM_LISTEN_FD");
  const std::string socket_path = socketPathFor(flags);
  ShimOptions options{.ns = flags.get("namespace"),
                      .id = flags.get("id"),
                      .containerd_address = flags.get("address"),
                      .publish_binary = flags.get("publish-binary"),
                      .roadrunner = roadrunnerPath(),
                      .root = shimRoot()};
  RR_LOG_INFO("shim for {}/{} on {}, running functions with {}", options.ns, options.id,
              socket_path, options.roadrunner);
  TtrpcServer* server_ptr = nullptr;
  TaskService service(options, [&server_ptr] { server_ptr->stopAfterReply(); });
  TtrpcServer server(UniqueFd(listen_fd),
                     [&service](std::string_view s, std::string_view m, const std::string& p) {
                       return service.handle(s, m, p);
                     });
  server_ptr = &server;
  server.serve();
  ::unlink(socket_path.c_str());
  // Every thread is joined on the way out: Waits end first, then the server closes its
  // connections and joins its threads, then the service kills a task that still runs.
  service.stop();
  RR_LOG_INFO("shim for {}/{} exits", options.ns, options.id);
  rr::log::logger()->flush();
  return 0;
}

}  // namespace
}  // namespace rr::shim

int main(int argc, char** argv) {
  try {
    const auto flags = rr::shim::parseFlags(argc, argv);
    if (flags.values.contains("v") || flags.values.contains("version")) {
      std::printf(
          "containerd-shim-roadrunner-v1 0.1.0 (images: rootfs%s)\n",
          rr::shim::contentStoreBuilt() ? ", Wasm OCI artifacts" : " only; built without gRPC");
      return 0;
    }
    if (flags.action == "start") {
      return rr::shim::startCommand(flags, argc, argv);
    }
    if (flags.action == "delete") {
      return rr::shim::deleteCommand(flags);
    }
    if (!flags.action.empty()) {
      std::fprintf(stderr, "containerd-shim-roadrunner-v1: unknown action '%s'\n",
                   flags.action.c_str());
      return 2;
    }
    return rr::shim::serveCommand(flags);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "containerd-shim-roadrunner-v1: internal error: %s\n", e.what());
  } catch (...) {
    std::fputs("containerd-shim-roadrunner-v1: internal error\n", stderr);
  }
  return 1;
}
