// Sends numbered payloads with the C++ veneer's sendAsync and PendingSend, as
// tests/guests/rust/async_sender: cpp_async_sender TARGET N SIZE [HOW] sends N payloads of SIZE
// (at least 8) bytes to TARGET, payload i being i (8 bytes, little-endian) and then
// stream_pattern.h's bytes for seed i (pattern_receiver.c's recipe), from RR_MAX_IN_FLIGHT
// buffers that it reuses. HOW:
//   wait (the default)  keeps 8 sends pending, waiting for the oldest before refilling its buffer
//   limits              the same, and with 8 pending, checks that a ninth start is kNoMemory and
//                       sends nothing, and that a second wait is kInvalid
//   drop                sends in rounds of 8 whose PendingSends are destroyed unwaited, then
//                       refills the buffers: ~PendingSend must wait, or a buffer changes under
//                       the host and the next round's starts find no room
// Prints `async status=<status name> sends=<sends done> bytes=<bytes sent>`; exits 0 when every
// status is kOk, 1 otherwise, 4 when a limit did not hold, 64 for bad arguments.
#define ROADRUNNER_IMPLEMENTATION
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "stream_pattern.h"
#include <roadrunner/guest/roadrunner.hpp>

namespace {

using rr::guest::PendingSend;
using rr::guest::sendAsync;
using rr::guest::Status;

constexpr std::size_t kInFlight = RR_MAX_IN_FLIGHT;

bool parse(const char* text, unsigned long& out) {
  char* end = nullptr;
  errno = 0;
  out = std::strtoul(text, &end, 10);
  return errno == 0 && end != text && *end == '\0' && text[0] != '-';
}

void fill(std::vector<std::byte>& buf, std::uint64_t index) {
  std::memcpy(buf.data(), &index, sizeof index);
  for (std::size_t j = sizeof index; j < buf.size(); ++j) {
    buf[j] = static_cast<std::byte>(stream_byte(static_cast<uint32_t>(index), j));
  }
}

}  // namespace

int main(int argc, char** argv) {
  unsigned long count = 0;
  unsigned long size = 0;
  if (argc < 4 || !parse(argv[2], count) || !parse(argv[3], size) || size < 8) {
    return 64;
  }
  const std::string_view target = argv[1];
  const std::string_view how = argc > 4 ? argv[4] : "wait";
  if (how != "wait" && how != "limits" && how != "drop") {
    return 64;
  }
  // Declared before the PendingSends, so destroyed after them.
  std::vector<std::vector<std::byte>> bufs(kInFlight, std::vector<std::byte>(size));
  unsigned long sends = 0;
  Status st = Status::kOk;
  bool limits_held = true;
  // Fills payload i into its buffer and starts its send, appended to `pending` when it started.
  const auto start = [&](unsigned long i, auto& pending) {
    std::vector<std::byte>& buf = bufs[i % kInFlight];
    fill(buf, i);
    auto [started, sent] = sendAsync(target, buf);
    if (started == Status::kOk) {
      pending.push_back(std::move(sent));
    }
    return started;
  };
  if (how == "drop") {
    for (unsigned long first = 0; st == Status::kOk && first < count; first += kInFlight) {
      std::vector<PendingSend> round;
      for (unsigned long i = first; i < count && i < first + kInFlight; ++i) {
        st = start(i, round);
        if (st != Status::kOk) {
          break;
        }
        ++sends;
      }
      // The round goes unwaited here: each ~PendingSend waits before its buffer is refilled.
    }
  } else {
    std::deque<PendingSend> window;  // oldest first
    unsigned long done = 0;
    for (unsigned long i = 0; st == Status::kOk && i < count; ++i) {
      if (window.size() == kInFlight) {
        st = window.front().wait();
        window.pop_front();
        if (st != Status::kOk) {
          break;
        }
        ++done;
      }
      st = start(i, window);
      if (st != Status::kOk) {
        break;
      }
      if (how == "limits" && window.size() == kInFlight) {
        std::vector<std::byte> extra(size);
        fill(extra, count + 1000);  // an index the receiver must never see
        auto [refused, none] = sendAsync(target, extra);
        limits_held = limits_held && refused == Status::kNoMemory && !none.isPending();
      }
    }
    while (!window.empty()) {
      const Status last = window.front().wait();
      if (how == "limits") {
        limits_held = limits_held && window.front().wait() == Status::kInvalid;
      }
      window.pop_front();
      if (st == Status::kOk) {
        st = last;
      }
      if (last == Status::kOk) {
        ++done;
      }
    }
    sends = done;
  }
  std::printf("async status=%s sends=%lu bytes=%lu\n", rr::guest::name(st), sends, sends * size);
  if (!limits_held) {
    std::printf("limits not held\n");
    return 4;
  }
  return st == Status::kOk ? 0 : 1;
}
