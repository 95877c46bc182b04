#include "roadrunner/sys/huge_file.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace rr::sys {
namespace {

// The process's tmpfs mount, or the errno that stopped it: made at the first call.
struct HugeMount {
  UniqueFd fd;
  int error = 0;
};

HugeMount mountHugeTmpfs() {
  UniqueFd context(static_cast<int>(::syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC)));
  if (!context.valid()) {
    return {.error = errno};
  }
  // size=0 and nr_inodes=0: no limit, as for memfds; the memory is charged as theirs is.
  const auto set = [&](const char* key, const char* value) {
    return ::syscall(SYS_fsconfig, context.get(), FSCONFIG_SET_STRING, key, value, 0) == 0;
  };
  if (!set("huge", "within_size") || !set("size", "0") || !set("nr_inodes", "0") ||
      !set("mode", "0700") ||
      ::syscall(SYS_fsconfig, context.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    return {.error = errno};
  }
  UniqueFd mount(static_cast<int>(::syscall(SYS_fsmount, context.get(), FSMOUNT_CLOEXEC, 0)));
  if (!mount.valid()) {
    return {.error = errno};
  }
  return {.fd = std::move(mount)};
}

}  // namespace

Result<UniqueFd> makeHugePageFile(std::uint64_t size) {
  static const HugeMount mount = mountHugeTmpfs();  // one per process, never unmounted early
  if (!mount.fd.valid()) {
    return failErrno("fsmount(tmpfs, huge=within_size)", mount.error);
  }
  UniqueFd file(::openat(mount.fd.get(), ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!file.valid()) {
    return failErrno("open(O_TMPFILE)");
  }
  if (::ftruncate(file.get(), static_cast<off_t>(size)) != 0) {
    return failErrno("ftruncate");
  }
  return file;
}

}  // namespace rr::sys
