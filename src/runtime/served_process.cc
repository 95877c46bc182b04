#include "served_process.h"

#include <unistd.h>

#include "roadrunner/base/try.h"
#include "roadrunner/sys/pipe.h"
#include "roadrunner/sys/subprocess.h"

extern char** environ;

namespace rr::runtime {

Result<ServedProcess> ServedProcess::spawn(
    const std::string& exe, const std::vector<std::string>& serve_args, int stdout_fd,
    int stderr_fd, const std::vector<std::string>& prefix, const std::string& display_name,
    const std::vector<std::string>& extra_env, std::chrono::milliseconds ready_timeout) {
  RR_ASSIGN_OR_RETURN(sys::Pipe ready, sys::makePipe());
  constexpr int kReadyFd = 3;
  // "/proc/self/exe" would name the prefix's program (ip) once it runs: resolve it here.
  const std::string program = exe == "/proc/self/exe" ? sys::selfExecutable() : exe;
  sys::SpawnOptions options{.argv = prefix, .search_path = true, .env = extra_env};
  options.argv.insert(options.argv.end(), {program, "serve", "--ready-fd", std::to_string(kReadyFd),
                                           "--parent", std::to_string(::getpid())});
  options.argv.insert(options.argv.end(), serve_args.begin(), serve_args.end());
  for (char** e = environ; *e != nullptr; ++e) {
    options.env.emplace_back(*e);
  }
  if (stdout_fd >= 0) {
    options.fds.emplace_back(stdout_fd, 1);
  }
  if (stderr_fd >= 0) {
    options.fds.emplace_back(stderr_fd, 2);
  }
  options.fds.emplace_back(ready.write_end.get(), kReadyFd);
  auto process = sys::Subprocess::spawn(options);
  if (!process) {
    return failErrno("spawn", process.error().code.value(), exe);
  }
  ready.write_end.reset();  // the child holds the only write end now
  auto address = sys::readReadyLine(ready.read_end.get(), ready_timeout);
  if (!address) {
    const bool hung = address.error().code == Errc::kTimedOut;
    const int status = hung ? process->kill() : process->stop(kStopGrace);
    return fail(Errc::kInvalidArgument, "start",
                display_name +
                    (hung ? ": its serving process did not report that it listens "
                            "within " +
                                std::to_string(ready_timeout.count()) + " ms; killed it"
                          : ": its serving process exited before it listened") +
                    " (exit status " + std::to_string(status) + ")");
  }
  return ServedProcess(std::move(*process), std::move(*address));
}

}  // namespace rr::runtime
