#include "roadrunner/base/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <span>

#include "roadrunner/base/unique_fd.h"

namespace rr {

Result<std::vector<std::byte>> readFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return failErrno("open", errno, path);
  }
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) {
    return failErrno("stat", errno, path);
  }
  if (S_ISDIR(st.st_mode)) {
    return failErrno("read", EISDIR, path);
  }
  std::vector<std::byte> out(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::read(fd.get(), out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return failErrno("read", errno, path);
    }
    if (n == 0) {
      out.resize(done);  // the file shrank under us
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  return out;
}

Result<> writeFileAtomic(const std::string& path, std::span<const std::byte> bytes) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) {
    return failErrno("create", errno, tmp);
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      return failErrno("write", err, tmp);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return failErrno("rename", err, path);
  }
  return {};
}

}  // namespace rr
