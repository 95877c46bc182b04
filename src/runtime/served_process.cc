#include "served_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <filesystem>

#include "roadrunner/base/unique_fd.h"

extern char** environ;

namespace rr::runtime {

Result<ServedProcess> ServedProcess::spawn(const std::string& exe,
                                           const std::vector<std::string>& serve_args,
                                           int stdout_fd, int stderr_fd,
                                           const std::vector<std::string>& prefix,
                                           const std::string& display_name,
                                           const std::vector<std::string>& extra_env) {
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) {
    return failErrno("pipe2");
  }
  UniqueFd ready_read(ready[0]);
  UniqueFd ready_write(ready[1]);
  constexpr int kReadyFd = 3;
  // "/proc/self/exe" would name the prefix's program (ip) once it runs: resolve it here.
  std::error_code ec;
  const auto resolved = std::filesystem::read_symlink(exe, ec);
  const std::string program = exe == "/proc/self/exe" && !ec ? resolved.string() : exe;
  std::vector<std::string> argv_strings = {program, "serve"};
  argv_strings.insert(argv_strings.end(), serve_args.begin(), serve_args.end());
  argv_strings.insert(argv_strings.begin() + 2, {"--ready-fd", std::to_string(kReadyFd)});
  argv_strings.insert(argv_strings.begin(), prefix.begin(), prefix.end());
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
  std::vector<std::string> env_strings(extra_env);
  for (char** e = environ; *e != nullptr; ++e) {
    env_strings.emplace_back(*e);
  }
  std::vector<char*> envp;
  for (auto& e : env_strings) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return failErrno("spawn", rc, exe);
  }
  ServedProcess process(pid);
  ready_write.reset();  // the child holds the only write end now
  // "ready ADDRESS\n", then the child closes its end.
  std::string line;
  std::array<char, 256> buf{};
  for (;;) {
    const ssize_t n = ::read(ready_read.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    line.append(buf.data(), static_cast<std::size_t>(n));
  }
  if (!line.starts_with("ready ")) {
    return fail(Errc::kInvalidArgument, "start",
                display_name + ": its serving process exited before it listened (exit status " +
                    std::to_string(process.stop()) + ")");
  }
  process.address_ = line.substr(6, line.find('\n') - 6);
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
