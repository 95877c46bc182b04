#include "child.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <future>

#include "roadrunner/base/log.h"
#include "roadrunner/base/try.h"
#include "roadrunner/sys/pipe.h"
#include "roadrunner/sys/subprocess.h"

namespace rr::shim {
namespace {

// How long an exec may take to succeed or fail once the gate opens.
constexpr int kExecTimeoutMs = 10'000;

// What the waiting thread needs: everything the child inherits, moved in, so nothing it uses
// lives on the stack of spawn().
struct ForkJob {
  ChildSpec spec;
  Child::OnExit on_exit;
  UniqueFd gate_read;
  UniqueFd error_write;
  UniqueFd ready_write;
  UniqueFd netns;
  std::promise<Result<pid_t>> forked;
};

void moveIntoCgroup(pid_t pid, const std::string& cgroup_dir) {
  std::ofstream procs(cgroup_dir + "/cgroup.procs");
  procs << pid << std::flush;
  if (!procs) {
    RR_LOG_WARN("could not move pid {} into {}; it runs without a cgroup", pid, cgroup_dir);
  }
}

// The waiting thread: forks (PR_SET_PDEATHSIG follows this thread), reports the pid, then
// waits for the exit. It ends when the child does.
void forkAndWait(std::atomic<bool>& exited, ForkJob job) {
  sys::GatedSpawnOptions options{.argv = job.spec.argv,
                                 .env = job.spec.env,
                                 .gate_fd = job.gate_read.get(),
                                 .exec_error_fd = job.error_write.get(),
                                 .netns_fd = job.netns.get(),
                                 .fds = {{job.spec.stdin_fd.get(), 0},
                                         {job.spec.stdout_fd.get(), 1},
                                         {job.spec.stderr_fd.get(), 2}},
                                 .bind_files = job.spec.bind_files};
  if (job.ready_write.valid()) {
    options.fds.emplace_back(job.ready_write.get(), 3);
  }
  auto child = sys::Subprocess::forkGated(options);
  if (!child) {
    exited = true;
    job.forked.set_value(std::unexpected(child.error()));
    return;
  }
  // The child holds its own copies now.
  job.gate_read.reset();
  job.error_write.reset();
  job.ready_write.reset();
  job.spec.stdin_fd.reset();
  job.spec.stdout_fd.reset();
  job.spec.stderr_fd.reset();
  for (const auto& dir : job.spec.cgroup_dirs) {
    moveIntoCgroup(child->pid(), dir);
  }
  job.forked.set_value(child->pid());
  const int status = child->waitUntilExit();  // ends when the child does (~Child kills it)
  exited = true;
  job.on_exit({.status = status, .at_ns = nowNs()});
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
  RR_ASSIGN_OR_RETURN(sys::Pipe gate, sys::makePipe());
  RR_ASSIGN_OR_RETURN(sys::Pipe exec_error, sys::makePipe());
  sys::Pipe ready;
  if (spec.ready_pipe) {
    RR_ASSIGN_OR_RETURN(ready, sys::makePipe());
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
  ForkJob job{.spec = std::move(spec),
              .on_exit = std::move(on_exit),
              .gate_read = std::move(gate.read_end),
              .error_write = std::move(exec_error.write_end),
              .ready_write = std::move(ready.write_end),
              .netns = std::move(netns),
              .forked = {}};
  auto forked = job.forked.get_future();
  child->waiter_ = std::thread([&exited = child->exited_, job = std::move(job)]() mutable {
    forkAndWait(exited, std::move(job));
  });
  // On failure `child` is destroyed here, which joins the thread (it has already returned).
  RR_ASSIGN_OR_RETURN(child->pid_, forked.get());
  return child;
}

Child::~Child() {
  if (!waiter_.joinable()) {
    return;
  }
  if (!exited_ && pid_ > 0) {
    (void)signal(SIGKILL, true);
  }
  waiter_.join();
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
  // The exec closes this pipe's write end (close-on-exec), or writes the errno of its failure.
  pollfd p{.fd = exec_error_read_.get(), .events = POLLIN, .revents = 0};
  int polled = 0;
  do {
    polled = ::poll(&p, 1, kExecTimeoutMs);
  } while (polled < 0 && errno == EINTR);
  if (polled <= 0) {
    return failErrno("exec", polled == 0 ? ETIMEDOUT : errno, exe_);
  }
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
