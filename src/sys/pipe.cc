#include "roadrunner/sys/pipe.h"

#include <fcntl.h>
#include <unistd.h>

namespace rr::sys {

Result<Pipe> makePipe(int flags) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | flags) != 0) {
    return failErrno("pipe2");
  }
  return Pipe{.read_end = UniqueFd(fds[0]), .write_end = UniqueFd(fds[1])};
}

}  // namespace rr::sys
