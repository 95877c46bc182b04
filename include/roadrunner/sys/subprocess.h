#pragma once

// Child processes and their ready lines: no policy. @see man 3 posix_spawn, man 2 pidfd_open

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "roadrunner/base/error.h"
#include "roadrunner/base/unique_fd.h"

namespace rr::sys {

/// How to start a child with posix_spawn.
struct SpawnOptions {
  std::vector<std::string> argv;  ///< argv[0] is the program
  bool search_path = false;       ///< look argv[0] up in $PATH (posix_spawnp)
  /// The child's whole environment ("K=V"); empty: ours.
  std::vector<std::string> env;
  /// dup2(from, to) in the child, in this order. `from == to` keeps the descriptor open across
  /// exec (POSIX: posix_spawn clears FD_CLOEXEC then). Everything else we own is close-on-exec.
  std::vector<std::pair<int, int>> fds;
  bool new_session = false;  ///< setsid(): the child leaves our session and process group
};

/// How to fork a child that waits at a gate before it runs (the containerd shim's Create and
/// Start). Only async-signal-safe calls run in the child between fork and exec.
struct GatedSpawnOptions {
  std::vector<std::string> argv;  ///< empty: the child pauses until a signal ends it
  std::vector<std::string> env;   ///< the child's whole environment
  int gate_fd = -1;        ///< read end: the child runs once it reads one byte; EOF ends it (137)
  int exec_error_fd = -1;  ///< write end: the errno of a failed setns, dup2 or exec
  int netns_fd = -1;       ///< >= 0: setns(CLONE_NEWNET) after the gate
  std::vector<std::pair<int, int>> fds;  ///< dup2(from, to) after the gate, in this order
  /// (host file, path): after the gate, in a mount namespace of its own (private propagation),
  /// each host file is bound over path. A Kubernetes pod's /etc/hosts and /etc/resolv.conf, so
  /// the child resolves names as the pod does.
  std::vector<std::pair<std::string, std::string>> bind_files;
};

/// A child process, reaped by its owner. Move-only.
///
/// Ownership: owns the child until it is reaped. The destructor of an owner whose child still
/// runs sends SIGKILL and reaps it, so no child outlives its owner unnoticed and none becomes a
/// zombie. Thread-safety: `signal` from any thread; `wait*` from one thread at a time.
class Subprocess {
 public:
  /// posix_spawn. Errors: the spawn itself (ENOENT for a missing program, EMFILE...).
  [[nodiscard]] static Result<Subprocess> spawn(const SpawnOptions& options);
  /// fork, then in the child: PR_SET_PDEATHSIG(SIGKILL) (the CALLING THREAD's death kills the
  /// child, so call it from a thread that outlives the child), a process group of its own, the
  /// gate, then setns, the dup2s and execve. Errors: fork's.
  [[nodiscard]] static Result<Subprocess> forkGated(const GatedSpawnOptions& options);

  Subprocess(Subprocess&& other) noexcept
      : pid_(std::exchange(other.pid_, -1)),
        pidfd_(std::move(other.pidfd_)),
        peak_rss_bytes_(other.peak_rss_bytes_) {}
  Subprocess& operator=(Subprocess&& other) noexcept;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  ~Subprocess() { (void)kill(); }

  /// The child's pid; -1 once it was reaped.
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  /// The child's own peak resident set: its VmHWM when stop() signalled it, else (a child that
  /// ended by itself) ru_maxrss from wait4, which also counts the RSS this process had when it
  /// spawned the child (exec keeps the larger of the old and the new image's peak) and the
  /// child's reaped descendants; 0 until it was reaped here.
  [[nodiscard]] std::uint64_t peakRssBytes() const noexcept { return peak_rss_bytes_; }
  /// kill(2) the child; a child that exited but was not reaped yet is fine.
  [[nodiscard]] Result<> signal(int sig) const;
  /// Waits at most `timeout` for the child to exit and reaps it. Returns its exit code, or
  /// 128 + the signal that ended it. Errors: kTimedOut (the child still runs), waitpid's.
  [[nodiscard]] Result<int> waitFor(std::chrono::milliseconds timeout);
  /// Waits for the child to exit, however long that takes, and reaps it; for a thread whose
  /// only job is to wait (its owner ends the wait by signalling the child).
  [[nodiscard]] int waitUntilExit();
  /// SIGTERM, then SIGKILL if it still runs after `grace`; reaps it. Returns what waitFor does.
  int stop(std::chrono::milliseconds grace);
  /// SIGKILL and reap (nothing if already reaped). Returns what waitFor does.
  int kill();
  /// Lets the child go: it is no longer killed or reaped here. Only for a daemon that outlives
  /// this process in a session of its own (it is reparented when we exit). Returns its pid.
  pid_t release() noexcept {
    pidfd_.reset();
    return std::exchange(pid_, -1);
  }

 private:
  Subprocess(pid_t pid, UniqueFd pidfd) noexcept : pid_(pid), pidfd_(std::move(pidfd)) {}
  [[nodiscard]] static Result<Subprocess> adopt(pid_t pid);
  pid_t pid_ = -1;
  UniqueFd pidfd_;  // readable once the child exited
  std::uint64_t peak_rss_bytes_ = 0;
};

/// How long a child may take to write its ready line: 30 s. It covers loading a module that is
/// already compiled (AOT) and listening; `up` compiles modules before it starts their servers.
/// A child that has not written its line by then is taken for hung.
inline constexpr std::chrono::milliseconds kReadyDeadline{30'000};

/// Reads the line "ready ADDRESS\n" that a starting server writes on `fd` once it listens, and
/// returns ADDRESS. The one reader of ready lines: `up`'s served functions, the shim's receivers
/// and the tests use it. Errors: kTimedOut if no whole line arrived within `timeout`;
/// kProtocol if `fd` reached EOF first (the child exited) or the line says something else.
[[nodiscard]] Result<std::string> readReadyLine(int fd,
                                                std::chrono::milliseconds timeout = kReadyDeadline);

/// The path that starts this program again, for children that run it with other arguments
/// (`up`'s served functions, the shim's long-lived process). Normally /proc/self/exe, resolved.
/// A relocatable bundle (scripts/dist) starts its programs through their launcher, which runs
/// the bundle's own dynamic loader on them; /proc/self/exe is then that loader, and the launcher
/// names itself in RR_SELF_EXE. That variable counts only while the loader is /proc/self/exe, so
/// a program started any other way never follows a value it inherited.
[[nodiscard]] std::string selfExecutable();

}  // namespace rr::sys
