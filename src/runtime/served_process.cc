#include "served_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>

#include "roadrunner/base/unique_fd.h"

extern char** environ;

namespace rr::runtime {

Result<ServedProcess> ServedProcess::spawn(const std::string& exe,
                                           const std::vector<std::string>& serve_args,
                                           int stdout_fd, int stderr_fd,
                                           const std::string& display_name) {
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) {
    return failErrno("pipe2");
  }
  UniqueFd ready_read(ready[0]);
  UniqueFd ready_write(ready[1]);
  constexpr int kReadyFd = 3;
  std::vector<std::string> argv_strings = {exe, "serve"};
  argv_strings.insert(argv_strings.end(), serve_args.begin(), serve_args.end());
  argv_strings.insert(argv_strings.begin() + 2, {"--ready-fd", std::to_string(kReadyFd)});
  std::vector<char*> argv;
  for (auto& s : argv_strings) {
    argv.push_back(s.data());
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (stdout_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
  }
  if (stderr_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, stderr_fd, 2);
  }
  posix_spawn_file_actions_adddup2(&actions, ready_write.get(), kReadyFd);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return failErrno("spawn", rc, exe);
  }
  ServedProcess process(pid);
  ready_write.reset();  // the child holds the only write end now
  std::array<char, 16> buf{};
  ssize_t n = -1;
  do {
    n = ::read(ready_read.get(), buf.data(), buf.size());
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    return fail(Errc::kInvalidModule, "start",
                display_name + ": its serving process exited before it listened (exit status " +
                    std::to_string(process.stop()) + ")");
  }
  return process;
}

int ServedProcess::stop() {
  if (pid_ < 0) {
    return 0;
  }
  ::kill(pid_, SIGTERM);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace rr::runtime
