#include "output_pump.h"

#include <poll.h>
#include <unistd.h>

#include <array>

#include "roadrunner/sys/pipe.h"

namespace rr::runtime {
namespace {

void writeAll(int fd, std::string_view s) {
  while (!s.empty()) {
    const ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return;  // our own stdout is gone; nothing better to do with the output
    }
    s.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

Result<UniqueFd> OutputPump::add(const std::string& name, int fd) {
  auto pipe = sys::makePipe();
  if (!pipe) {
    return failErrno("pipe2", pipe.error().code.value(), "for the output of " + name);
  }
  sources_.push_back(Source{.prefix = name + " | ", .to = fd, .from = std::move(pipe->read_end)});
  return std::move(pipe->write_end);
}

void OutputPump::start() {
  thread_ = std::thread([this] { pump(); });
}

void OutputPump::join() {
  if (thread_.joinable()) {
    thread_.join();
  }
}

void OutputPump::pump() {
  std::array<char, 65536> buf{};
  std::size_t open = sources_.size();
  std::vector<pollfd> fds(sources_.size());
  while (open > 0) {
    for (std::size_t i = 0; i < sources_.size(); ++i) {
      fds[i] = {.fd = sources_[i].from.get(), .events = POLLIN, .revents = 0};
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;
    }
    for (std::size_t i = 0; i < sources_.size(); ++i) {
      if (fds[i].revents == 0) {
        continue;
      }
      Source& s = sources_[i];
      const ssize_t n = ::read(s.from.get(), buf.data(), buf.size());
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        if (!s.partial.empty()) {
          writeAll(s.to, s.prefix + s.partial + "\n");
        }
        s.partial.clear();
        s.from.reset();
        --open;
        continue;
      }
      s.partial.append(buf.data(), static_cast<std::size_t>(n));
      std::string out;
      std::size_t begin = 0;
      for (std::size_t nl; (nl = s.partial.find('\n', begin)) != std::string::npos;
           begin = nl + 1) {
        out += s.prefix;
        out.append(s.partial, begin, nl + 1 - begin);
      }
      s.partial.erase(0, begin);
      writeAll(s.to, out);
    }
  }
}

}  // namespace rr::runtime
