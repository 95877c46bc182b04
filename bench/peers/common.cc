#include <poll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "peer.h"

// The recipe and its check are the C guests' own.
#include "../guests/bench_payload.h"

namespace rr::bench::peers {

double nowSeconds() {
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

std::int64_t millisLeft(Clock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
  return std::max<std::int64_t>(left.count(), 0);
}

Ack checkPayload(std::span<std::uint8_t> payload) {
  const double held = nowSeconds();
  if (std::getenv("RR_BENCH_CORRUPT_FOR_TEST") != nullptr && !payload.empty()) {
    payload[payload.size() / 2] ^= 0x01U;  // what a broken transfer would deliver
  }
  std::uint64_t seal = 0;
  const bool whole = bench_check_and_poison(payload.data(),
                                            static_cast<std::uint32_t>(payload.size()), &seal) != 0;
  return {.seal = whole ? seal : 0, .consumed_s = nowSeconds(), .decode_s = 0, .held_s = held};
}

std::vector<std::uint8_t> makePayload(std::uint64_t size) {
  std::vector<std::uint8_t> payload(size);
  fillPayload(payload);
  return payload;
}

void fillPayload(std::span<std::uint8_t> payload) {
  bench_fill(payload.data(), static_cast<std::uint32_t>(payload.size()));
}

std::uint64_t stampPayload(std::span<std::uint8_t> payload, int round) {
  return bench_stamp(payload.data(), static_cast<std::uint32_t>(payload.size()),
                     static_cast<std::uint32_t>(round));
}

Result<> announceReady(const std::string& address) {
  return writeReport("ready " + address + "\n");
}

Result<> writeReport(std::string_view line) {
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(kReportFd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return failErrno("write(report)");
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Result<std::string> readUntilLine(int fd, std::string_view needle, Clock::time_point deadline) {
  std::string seen;
  std::array<char, 4096> buf{};
  while (seen.find(needle) == std::string::npos ||
         seen.find('\n', seen.find(needle)) == std::string::npos) {
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    const int ready =
        ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(millisLeft(deadline), 1000)));
    if (ready < 0 && errno != EINTR) {
      return failErrno("poll(daemon output)");
    }
    if (ready <= 0) {
      if (Clock::now() >= deadline) {
        return fail(Errc::kTimedOut, "daemon", "not ready in time: " + lastLine(seen));
      }
      continue;
    }
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return fail(Errc::kProtocol, "daemon", "exited before it was ready: " + lastLine(seen));
    }
    seen.append(buf.data(), static_cast<std::size_t>(n));
  }
  return seen;
}

std::string lastLine(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  const auto nl = text.rfind('\n');
  return std::string(nl == std::string_view::npos ? text : text.substr(nl + 1));
}

Result<TempDir> TempDir::make(std::string_view prefix) {
  std::string path = (std::filesystem::temp_directory_path() / prefix).string() + "-XXXXXX";
  if (::mkdtemp(path.data()) == nullptr) {
    return failErrno("mkdtemp", errno, path);
  }
  return TempDir(std::move(path));
}

TempDir::~TempDir() {
  if (!path_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
}

std::string TempDir::file(std::string_view name) const { return path_ + "/" + std::string(name); }

std::string mib(std::uint64_t bytes) { return std::to_string(bytes >> 20U) + " MiB"; }

}  // namespace rr::bench::peers
