#pragma once

// The task's process: forked at Create and held at a gate until Start, like runc's create/start.
// The child gets SIGKILL when the thread that forked it ends (PR_SET_PDEATHSIG), so that thread
// lives as long as the child: it forks, then waits for the exit. The Child owns that thread and
// joins it when destroyed, after killing a child that still runs. A shim that dies takes its
// child with it. The child leads its own process group, so Kill with `all` reaches everything
// it started.

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "roadrunner/base/error.h"
#include "roadrunner/base/unique_fd.h"

namespace rr::shim {

struct ChildSpec {
  std::vector<std::string> argv;  ///< empty: a placeholder that sleeps until signalled
  std::vector<std::string> env;
  UniqueFd stdin_fd;
  UniqueFd stdout_fd;
  UniqueFd stderr_fd;
  std::string netns_path;  ///< join this network namespace first ("" keeps the shim's)
  std::vector<std::string> cgroup_dirs;  ///< move the child into these before it runs
  /// (host file, path) bound over path in the child's own mount namespace (GatedSpawnOptions)
  std::vector<std::pair<std::string, std::string>> bind_files;
  bool ready_pipe = false;  ///< give the child fd 3, the write end of a pipe (readyFd())
};

struct ChildExit {
  int status = 0;          ///< the exit code, or 128 + the signal that killed it
  std::int64_t at_ns = 0;  ///< CLOCK_REALTIME
};

class Child {
 public:
  using OnExit = std::function<void(const ChildExit&)>;

  /// Forks the child and leaves it waiting at the gate. `on_exit` runs on the waiting thread
  /// once the child has exited, so whoever destroys the Child must not hold a lock that
  /// `on_exit` takes. Errors: fork, the namespace, the cgroup, or an exec that failed
  /// (reported once release() lets it run, see below).
  [[nodiscard]] static Result<std::shared_ptr<Child>> spawn(ChildSpec spec, OnExit on_exit);

  Child() = default;
  /// SIGKILLs the child's process group if the child still runs, then joins the waiting thread
  /// (after its `on_exit`).
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  Child(Child&&) = delete;
  Child& operator=(Child&&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  /// Lets the child run (exec). Errors: the exec failed (the path named).
  [[nodiscard]] Result<> release();
  /// The read end of the ready pipe (-1 without one).
  [[nodiscard]] int readyFd() const { return ready_read_.get(); }
  /// kill(2) the child, or its whole process group; a child that already exited is fine.
  [[nodiscard]] Result<> signal(int sig, bool group) const;

 private:
  pid_t pid_ = -1;
  std::string exe_;
  UniqueFd gate_write_;
  UniqueFd exec_error_read_;
  UniqueFd ready_read_;
  std::mutex mu_;
  bool released_ = false;
  std::atomic<bool> exited_{false};
  std::thread waiter_;  // forked the child; waits for its exit
};

/// The current CLOCK_REALTIME in nanoseconds.
[[nodiscard]] std::int64_t nowNs();

}  // namespace rr::shim
