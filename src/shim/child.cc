#include "child.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <future>
#include <thread>

#include "roadrunner/base/log.h"
#include "roadrunner/base/try.h"

namespace rr::shim {
namespace {

struct PipePair {
  UniqueFd read_end;
  UniqueFd write_end;
};

Result<PipePair> makePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return failErrno("pipe2");
  }
  return PipePair{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::vector<char*> cStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) {
    out.push_back(s.data());
  }
  out.push_back(nullptr);
  return out;
}

/// In the forked child: only async-signal-safe calls from here to execve.
[[noreturn]] void runChild(pid_t parent, const ChildSpec& spec, int netns_fd, int gate_read,
                           int error_write, int ready_write, char** argv, char** envp) {
  const auto die = [&](int err) {
    [[maybe_unused]] const ssize_t n = ::write(error_write, &err, sizeof err);
    ::_exit(127);
  };
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) {
    ::_exit(137);  // the shim died before prctl took effect
  }
  ::setpgid(0, 0);
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  char go = 0;
  ssize_t n = 0;
  do {
    n = ::read(gate_read, &go, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) {
    ::_exit(137);  // the shim closed the gate without releasing it
  }
  if (netns_fd >= 0 && ::setns(netns_fd, CLONE_NEWNET) != 0) {
    die(errno);
  }
  if (::dup2(spec.stdin_fd.get(), 0) < 0 || ::dup2(spec.stdout_fd.get(), 1) < 0 ||
      ::dup2(spec.stderr_fd.get(), 2) < 0) {
    die(errno);
  }
  if (ready_write >= 0 && ::dup2(ready_write, 3) < 0) {
    die(errno);
  }
  if (argv == nullptr) {  // a placeholder (a pod's sandbox): sleep until signalled
    ::close(error_write);
    while (true) {
      ::pause();
    }
  }
  ::execve(argv[0], argv, envp);
  die(errno);
  ::_exit(127);
}

}  // namespace

std::int64_t nowNs() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

Result<std::shared_ptr<Child>> Child::spawn(ChildSpec spec, OnExit on_exit) {
  auto child = std::make_shared<Child>();
  child->exe_ = spec.argv.empty() ? "(placeholder)" : spec.argv[0];
  RR_ASSIGN_OR_RETURN(PipePair gate, makePipe());
  RR_ASSIGN_OR_RETURN(PipePair exec_error, makePipe());
  PipePair ready;
  if (spec.ready_pipe) {
    RR_ASSIGN_OR_RETURN(ready, makePipe());
  }
  UniqueFd netns;
  if (!spec.netns_path.empty()) {
    netns.reset(::open(spec.netns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!netns.valid()) {
      return failErrno("open network namespace", errno, spec.netns_path);
    }
  }
  child->gate_write_ = std::move(gate.write_end);
  child->exec_error_read_ = std::move(exec_error.read_end);
  child->ready_read_ = std::move(ready.read_end);

  // The forking thread must outlive the child (PR_SET_PDEATHSIG follows the thread), so it
  // forks and then waits.
  std::promise<Result<pid_t>> forked;
  auto forked_future = forked.get_future();
  std::thread([&forked, spec = std::move(spec), on_exit = std::move(on_exit),
               gate_read = std::move(gate.read_end), error_write = std::move(exec_error.write_end),
               ready_write = std::move(ready.write_end), netns = std::move(netns)]() mutable {
    std::vector<std::string> argv_strings = spec.argv;
    std::vector<std::string> env_strings = spec.env;
    auto argv = cStrings(argv_strings);
    auto envp = cStrings(env_strings);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
      forked.set_value(failErrno("fork"));
      return;
    }
    if (pid == 0) {
      runChild(parent, spec, netns.get(), gate_read.get(), error_write.get(), ready_write.get(),
               spec.argv.empty() ? nullptr : argv.data(), envp.data());
    }
    ::setpgid(pid, pid);
    gate_read.reset();
    error_write.reset();
    ready_write.reset();
    spec.stdin_fd.reset();
    spec.stdout_fd.reset();
    spec.stderr_fd.reset();
    if (!spec.cgroup_dir.empty()) {
      std::ofstream procs(spec.cgroup_dir + "/cgroup.procs");
      procs << pid << std::flush;
      if (!procs) {
        RR_LOG_WARN("could not move pid {} into {}; it runs without a cgroup", pid,
                    spec.cgroup_dir);
      }
    }
    forked.set_value(pid);  // `forked` is not touched after this
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    ChildExit exit{.status = WIFEXITED(status) ? WEXITSTATUS(status)
                                               : 128 + WTERMSIG(status),
                   .at_ns = nowNs()};
    on_exit(exit);
  }).detach();
  RR_ASSIGN_OR_RETURN(child->pid_, forked_future.get());
  return child;
}

Result<> Child::release() {
  const std::scoped_lock lock(mu_);
  if (released_) {
    return {};
  }
  released_ = true;
  const char go = 1;
  if (::write(gate_write_.get(), &go, 1) != 1) {
    return failErrno("start", errno, exe_);
  }
  gate_write_.reset();
  int err = 0;
  ssize_t n = 0;
  do {
    n = ::read(exec_error_read_.get(), &err, sizeof err);
  } while (n < 0 && errno == EINTR);
  exec_error_read_.reset();
  if (n == sizeof err) {
    return failErrno("exec", err, exe_);
  }
  return {};
}

Result<> Child::signal(int sig, bool group) const {
  if (::kill(group ? -pid_ : pid_, sig) != 0 && errno != ESRCH) {
    return failErrno("kill", errno, std::to_string(pid_));
  }
  return {};
}

}  // namespace rr::shim
