#include "roadrunner/sys/subprocess.h"

#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

extern char** environ;

namespace rr::sys {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<char*> cStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings) {
    out.push_back(const_cast<char*>(s.c_str()));
  }
  out.push_back(nullptr);
  return out;
}

int exitCode(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int millisLeft(Clock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<std::int64_t>(left.count(), 0));
}

// In the forked child: only async-signal-safe calls from here to execve.
[[noreturn]] void runGatedChild(pid_t parent, const GatedSpawnOptions& o, char* const* argv,
                                char* const* envp) {
  const auto die = [&](int err) {
    [[maybe_unused]] const ssize_t n = ::write(o.exec_error_fd, &err, sizeof err);
    ::_exit(127);
  };
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) {
    ::_exit(137);  // the parent died before prctl took effect
  }
  ::setpgid(0, 0);
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  char go = 0;
  ssize_t n = 0;
  do {
    n = ::read(o.gate_fd, &go, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) {
    ::_exit(137);  // the gate was closed without a release
  }
  if (o.netns_fd >= 0 && ::setns(o.netns_fd, CLONE_NEWNET) != 0) {
    die(errno);
  }
  if (!o.bind_files.empty()) {
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      die(errno);
    }
    for (const auto& [from, to] : o.bind_files) {
      if (::mount(from.c_str(), to.c_str(), nullptr, MS_BIND, nullptr) != 0) {
        die(errno);
      }
    }
  }
  for (const auto& [from, to] : o.fds) {
    if (::dup2(from, to) < 0) {
      die(errno);
    }
  }
  if (argv == nullptr) {  // a placeholder: sleeps until signalled
    ::close(o.exec_error_fd);
    while (true) {
      ::pause();
    }
  }
  ::execve(argv[0], argv, envp);
  die(errno);
  ::_exit(127);
}

// glibc 2.41's <sys/pidfd.h> declares pidfd_open outside extern "C": the system call itself.
int pidfdOpen(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U)); }

}  // namespace

Result<Subprocess> Subprocess::adopt(pid_t pid) {
  UniqueFd pidfd(pidfdOpen(pid));
  if (!pidfd.valid()) {
    const int err = errno;
    ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return failErrno("pidfd_open", err);
  }
  return Subprocess(pid, std::move(pidfd));
}

Result<Subprocess> Subprocess::spawn(const SpawnOptions& options) {
  if (options.argv.empty()) {
    return failErrno("spawn", EINVAL, "no program");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  for (const auto& [from, to] : options.fds) {
    posix_spawn_file_actions_adddup2(&actions, from, to);
  }
  // Children start with no signal blocked, whatever this thread blocks (InterruptWatcher).
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(
      &attr,
      static_cast<short>(POSIX_SPAWN_SETSIGMASK | (options.new_session ? POSIX_SPAWN_SETSID : 0)));
  const auto argv = cStrings(options.argv);
  const auto envp = cStrings(options.env);
  char* const* env = options.env.empty() ? environ : envp.data();
  pid_t pid = -1;
  const int rc = options.search_path
                     ? ::posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), env)
                     : ::posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), env);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return failErrno("spawn", rc, options.argv[0]);
  }
  return adopt(pid);
}

Result<Subprocess> Subprocess::forkGated(const GatedSpawnOptions& options) {
  const auto argv = cStrings(options.argv);
  const auto envp = cStrings(options.env);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    return failErrno("fork");
  }
  if (pid == 0) {
    runGatedChild(parent, options, options.argv.empty() ? nullptr : argv.data(), envp.data());
  }
  ::setpgid(pid, pid);  // also here, so a signal to the group reaches it before it runs
  return adopt(pid);
}

Subprocess& Subprocess::operator=(Subprocess&& other) noexcept {
  if (this != &other) {
    (void)kill();
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::move(other.pidfd_);
    peak_rss_bytes_ = other.peak_rss_bytes_;
  }
  return *this;
}

Result<> Subprocess::signal(int sig) const {
  if (pid_ > 0 && ::kill(pid_, sig) != 0 && errno != ESRCH) {
    return failErrno("kill", errno, std::to_string(pid_));
  }
  return {};
}

Result<int> Subprocess::waitFor(std::chrono::milliseconds timeout) {
  if (pid_ < 0) {
    return failErrno("waitpid", ECHILD);
  }
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    pollfd p{.fd = pidfd_.get(), .events = POLLIN, .revents = 0};
    const int ready = ::poll(&p, 1, millisLeft(deadline));
    if (ready < 0 && errno != EINTR) {
      return failErrno("poll(pidfd)");
    }
    if (ready > 0) {
      return waitUntilExit();
    }
    if (ready == 0 && Clock::now() >= deadline) {
      return fail(Errc::kTimedOut, "wait", "pid " + std::to_string(pid_) + " still runs");
    }
  }
}

int Subprocess::waitUntilExit() {
  if (pid_ < 0) {
    return 0;
  }
  int status = 0;
  rusage usage{};
  while (::wait4(pid_, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  peak_rss_bytes_ = static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;  // ru_maxrss is in KiB
  pid_ = -1;
  pidfd_.reset();
  return exitCode(status);
}

namespace {

// VmHWM of a live process in bytes (0 if it cannot be read): the peak of its own image only.
std::uint64_t vmHwm(pid_t pid) {
  std::FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/status").c_str(), "r");
  if (f == nullptr) {
    return 0;
  }
  char line[256];
  std::uint64_t kib = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "VmHWM:", 6) == 0) {
      kib = std::strtoull(line + 6, nullptr, 10);  // "VmHWM:     1234 kB"
      break;
    }
  }
  std::fclose(f);
  return kib * 1024;
}

}  // namespace

int Subprocess::stop(std::chrono::milliseconds grace) {
  if (pid_ < 0) {
    return 0;
  }
  const std::uint64_t own_peak = vmHwm(pid_);  // before it starts to exit
  (void)signal(SIGTERM);
  const auto keep_own_peak = [&](int code) {
    if (own_peak > 0) {
      peak_rss_bytes_ = own_peak;
    }
    return code;
  };
  if (auto code = waitFor(grace); code) {
    return keep_own_peak(*code);
  }
  return keep_own_peak(kill());
}

int Subprocess::kill() {
  if (pid_ < 0) {
    return 0;
  }
  (void)signal(SIGKILL);
  return waitUntilExit();
}

Result<std::string> readReadyLine(int fd, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string line;
  std::array<char, 256> buf{};
  while (line.find('\n') == std::string::npos) {
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    const int ready = ::poll(&p, 1, millisLeft(deadline));
    if (ready < 0 && errno != EINTR) {
      return failErrno("poll(ready line)");
    }
    if (ready <= 0) {
      if (Clock::now() >= deadline) {
        return fail(Errc::kTimedOut, "ready line",
                    "none within " + std::to_string(timeout.count()) + " ms");
      }
      continue;
    }
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return failErrno("read(ready line)");
    }
    if (n == 0) {
      return fail(Errc::kProtocol, "ready line", "the child closed it without a ready line");
    }
    line.append(buf.data(), static_cast<std::size_t>(n));
  }
  if (!line.starts_with("ready ")) {
    return fail(Errc::kProtocol, "ready line",
                "expected 'ready ADDRESS', got '" + line.substr(0, line.find('\n')) + "'");
  }
  return line.substr(6, line.find('\n') - 6);
}

std::string selfExecutable() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) {
    return "/proc/self/exe";
  }
  const char* launcher = std::getenv("RR_SELF_EXE");
  const bool by_loader = exe.filename().string().starts_with("ld-linux");
  if (by_loader && launcher != nullptr && launcher[0] == '/') {
    return launcher;
  }
  return exe.string();
}

}  // namespace rr::sys
