// Streams patterned chunks to a target with the C++ veneer's Stream, as
// tests/guests/rust/stream_sender: cpp_stream_sender TARGET N SIZE [HOW] opens a stream to TARGET
// and writes N chunks of SIZE bytes, byte j of chunk i being (i*131 + j*7) & 0xff, then ends it as
// HOW says:
//   end (the default)  close it (the status is the stream's result)
//   abort:CODE         abort it with CODE (the status is the abort's)
//   drop               destroy it unclosed, which ~Stream turns into an abort with RR_EUNAVAILABLE
//   leak               leave it open and exit, so the host aborts it when the instance ends
//   move               write each chunk from a MoveBuffer with writeMove, check that the buffer
//                      reads as zeros afterwards (exit 9 if not), then close it
//   try                write each chunk with tryWrite; at each kWouldBlock, do about 100 µs of
//                      other work and write the same chunk again; then close it. Prints
//                      `stream would_blocks=<count>` first
// Prints `stream status=<status name> chunks=<chunks written> bytes=<bytes written>`; exits 0 when
// the status is RR_OK, 1 otherwise, 64 for bad arguments. A failed write stops the writing and
// destroys the stream.
#define ROADRUNNER_IMPLEMENTATION
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include <roadrunner/guest/roadrunner.hpp>

namespace {

using rr::guest::Status;
using rr::guest::Stream;

bool parse(const char* text, unsigned long& out) {
  char* end = nullptr;
  errno = 0;
  out = std::strtoul(text, &end, 10);
  return errno == 0 && end != text && *end == '\0' && text[0] != '-';
}

void fill(std::vector<std::byte>& chunk, unsigned long i) {
  for (std::size_t j = 0; j < chunk.size(); ++j) {
    chunk[j] = static_cast<std::byte>((i * 131 + j * 7) & 0xff);
  }
}

// Where otherWork leaves its result, so that the compiler keeps the work.
volatile std::uint64_t g_work = 0x9E3779B97F4A7C15ULL;

// The work a sender does instead of waiting for a busy receiver: about 100 µs of arithmetic.
void otherWork() {
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t x = g_work;
  while (std::chrono::steady_clock::now() - start < std::chrono::microseconds(100)) {
    for (int k = 0; k < 256; ++k) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
    }
    g_work = x;
  }
}

}  // namespace

int main(int argc, char** argv) {
  unsigned long count = 0;
  unsigned long size = 0;
  if (argc < 4 || !parse(argv[2], count) || !parse(argv[3], size)) {
    return 64;
  }
  const std::string_view how = argc > 4 ? argv[4] : "end";
  if (how != "end" && how != "drop" && how != "leak" && how != "move" && how != "try" &&
      !how.starts_with("abort:")) {
    return 64;
  }
  unsigned long chunks = 0;
  unsigned long bytes = 0;
  unsigned long would_blocks = 0;
  Status st = Status::kOk;
  {
    auto [opened, stream] = Stream::open(argv[1]);
    st = opened;
    std::vector<std::byte> chunk(size);
    auto moving = rr::guest::MoveBuffer::allocate(static_cast<uint32_t>(size));
    if (how == "move" && size > 0 && moving.empty()) {
      return 65;
    }
    for (unsigned long i = 0; st == Status::kOk && i < count; ++i) {
      fill(chunk, i);
      if (how == "move") {
        std::memcpy(moving.bytes().data(), chunk.data(), size);
        st = stream.writeMove(moving, size);
        for (const std::byte b : moving.bytes()) {
          if (b != std::byte{0}) {
            std::printf("chunk %lu still in the sender's buffer after writeMove\n", i);
            return 9;
          }
        }
      } else if (how == "try") {
        while ((st = stream.tryWrite(chunk)) == Status::kWouldBlock) {
          ++would_blocks;
          otherWork();
        }
      } else {
        st = stream.write(chunk);
      }
      if (st == Status::kOk) {
        ++chunks;
        bytes += size;
      }
    }
    if (st == Status::kOk) {
      if (how.starts_with("abort:")) {
        unsigned long code = 1;
        if (!parse(argv[4] + std::strlen("abort:"), code)) {
          code = 1;
        }
        st = stream.abort(static_cast<Status>(code));
      } else if (how == "leak") {
        // Never destroyed: the stream is still open when the instance ends.
        [[maybe_unused]] auto* leaked = new Stream(std::move(stream));
      } else if (how == "end" || how == "move" || how == "try") {
        st = stream.close();
      }
      // "drop": the end of this block destroys the open stream.
    }
  }
  if (how == "try") {
    std::printf("stream would_blocks=%lu\n", would_blocks);
  }
  std::printf("stream status=%s chunks=%lu bytes=%lu\n", rr::guest::name(st), chunks, bytes);
  return st == Status::kOk ? 0 : 1;
}
