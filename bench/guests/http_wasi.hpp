// What the wasmedge-http baseline's two guests share: WasmEdge's WASI socket extension (TCP over
// IPv4), blocking whole-buffer send and receive, one HTTP/1.1 message with a Content-Length body,
// base64, and the monotonic clock. C++20, libc++, no exceptions.
//
// The socket imports are WasmEdge 0.14.1's, from its "wasi_snapshot_preview1" module (checked
// against the installed library's function types). They are not in wasi-libc's headers, whose own
// sock_accept takes a different argument list, so they are declared here under other C names.
// An address is {u32 buf, u32 buf_len}, where buf holds 4 bytes (IPv4, network order) and the
// port travels as a separate integer in host order. Every call returns a WASI errno (0: success).
#pragma once

#include <time.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace http_wasi {

#define HTTP_WASI_IMPORT(name) \
  __attribute__((import_module("wasi_snapshot_preview1"), import_name(name)))

extern "C" {
struct Address {
  std::uint8_t* buf;
  std::uint32_t buf_len;
};
struct IoVec {
  const void* buf;
  std::uint32_t buf_len;
};
HTTP_WASI_IMPORT("sock_open")
std::uint32_t wasiSockOpen(std::uint32_t family, std::uint32_t type, std::int32_t* fd);
HTTP_WASI_IMPORT("sock_bind")
std::uint32_t wasiSockBind(std::int32_t fd, Address* address, std::uint32_t port);
HTTP_WASI_IMPORT("sock_listen")
std::uint32_t wasiSockListen(std::int32_t fd, std::int32_t backlog);
HTTP_WASI_IMPORT("sock_accept_v2")
std::uint32_t wasiSockAccept(std::int32_t fd, std::uint32_t fd_flags, std::int32_t* conn);
HTTP_WASI_IMPORT("sock_connect")
std::uint32_t wasiSockConnect(std::int32_t fd, Address* address, std::uint32_t port);
HTTP_WASI_IMPORT("sock_getlocaladdr")
std::uint32_t wasiSockGetLocalAddr(std::int32_t fd, Address* address, std::uint32_t* family,
                                   std::uint32_t* port);
HTTP_WASI_IMPORT("sock_recv")
std::uint32_t wasiSockRecv(std::int32_t fd, const IoVec* iov, std::uint32_t iov_len,
                           std::uint32_t flags, std::uint32_t* received, std::uint16_t* ro_flags);
HTTP_WASI_IMPORT("sock_send")
std::uint32_t wasiSockSend(std::int32_t fd, const IoVec* iov, std::uint32_t iov_len,
                           std::uint32_t flags, std::uint32_t* sent);
HTTP_WASI_IMPORT("sock_shutdown")
std::uint32_t wasiSockShutdown(std::int32_t fd, std::uint32_t how);
}

#undef HTTP_WASI_IMPORT

inline constexpr std::uint32_t kInet4 = 1;      // __WASI_ADDRESS_FAMILY_INET4
inline constexpr std::uint32_t kStream = 2;     // __WASI_SOCK_TYPE_SOCK_STREAM
inline constexpr std::uint32_t kShutWrite = 2;  // __WASI_SDFLAGS_WR

/// CLOCK_MONOTONIC: WASI's monotonic clock is the host's, so the host can compare these.
inline double now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// The IPv4 address in $BENCH_HOST ("a.b.c.d"), else 127.0.0.1: where consumers listen and
/// the producer connects (an inter-node run puts the consumers on a test host).
inline void benchHost(std::uint8_t ip[4]) {
  const char* host = std::getenv("BENCH_HOST");
  unsigned a = 127, b = 0, c = 0, d = 1;
  if (host != nullptr && std::sscanf(host, "%u.%u.%u.%u", &a, &b, &c, &d) != 4) {
    a = 127, b = 0, c = 0, d = 1;
  }
  ip[0] = static_cast<std::uint8_t>(a);
  ip[1] = static_cast<std::uint8_t>(b);
  ip[2] = static_cast<std::uint8_t>(c);
  ip[3] = static_cast<std::uint8_t>(d);
}

/// A TCP socket on benchHost(): listening (port 0 lets the kernel choose; see localPort) or
/// connected. Returns the fd, or -1 with the errno in *err.
inline std::int32_t listenOnBenchHost(std::uint32_t port, std::uint32_t* err) {
  std::int32_t fd = -1;
  std::uint8_t ip[4] = {};
  benchHost(ip);
  Address address{ip, sizeof ip};
  if ((*err = wasiSockOpen(kInet4, kStream, &fd)) != 0 ||
      (*err = wasiSockBind(fd, &address, port)) != 0 || (*err = wasiSockListen(fd, 128)) != 0) {
    return -1;
  }
  return fd;
}

inline std::int32_t connectToBenchHost(std::uint32_t port, std::uint32_t* err) {
  std::int32_t fd = -1;
  std::uint8_t ip[4] = {};
  benchHost(ip);
  Address address{ip, sizeof ip};
  if ((*err = wasiSockOpen(kInet4, kStream, &fd)) != 0 ||
      (*err = wasiSockConnect(fd, &address, port)) != 0) {
    return -1;
  }
  return fd;
}

inline std::uint32_t localPort(std::int32_t fd) {
  std::uint8_t ip[16] = {};
  Address address{ip, sizeof ip};
  std::uint32_t family = 0;
  std::uint32_t port = 0;
  return wasiSockGetLocalAddr(fd, &address, &family, &port) == 0 ? port : 0;
}

/// Sends all of `head`, then all of `body` (sock_send may send less than asked). False on an error.
inline bool sendAll(std::int32_t fd, std::string_view head, std::string_view body) {
  IoVec iov[2] = {{head.data(), static_cast<std::uint32_t>(head.size())},
                  {body.data(), static_cast<std::uint32_t>(body.size())}};
  std::uint32_t first = 0;
  while (first < 2) {
    std::uint32_t sent = 0;
    if (wasiSockSend(fd, &iov[first], 2 - first, 0, &sent) != 0) {
      return false;
    }
    while (first < 2 && sent >= iov[first].buf_len) {
      sent -= iov[first].buf_len;
      ++first;
    }
    if (first < 2) {
      iov[first].buf = static_cast<const char*>(iov[first].buf) + sent;
      iov[first].buf_len -= sent;
    }
  }
  return true;
}

/// Receives up to `cap` bytes; 0 means the peer closed, -1 an error.
inline long recvSome(std::int32_t fd, char* buf, std::size_t cap) {
  IoVec iov{buf, static_cast<std::uint32_t>(cap)};
  std::uint32_t got = 0;
  std::uint16_t ro_flags = 0;
  if (wasiSockRecv(fd, &iov, 1, 0, &got, &ro_flags) != 0) {
    return -1;
  }
  return static_cast<long>(got);
}

/// One HTTP/1.1 message off a connection: the start line and headers (up to the blank line) into
/// `head`, then exactly Content-Length bytes straight into `body` (resized; its capacity is kept
/// between messages). No chunked encoding: both sides here always send a Content-Length.
/// False on EOF, an error, or a message without Content-Length.
inline bool readMessage(std::int32_t fd, std::string& head, std::string& body) {
  head.clear();
  char chunk[16384];
  std::size_t end = std::string::npos;
  while (end == std::string::npos) {
    const long n = recvSome(fd, chunk, sizeof chunk);
    if (n <= 0 || head.size() > (1U << 16U)) {
      return false;
    }
    const std::size_t from = head.size() < 3 ? 0 : head.size() - 3;
    head.append(chunk, static_cast<std::size_t>(n));
    end = head.find("\r\n\r\n", from);
  }
  std::size_t length = std::string::npos;
  for (std::size_t line = head.find("\r\n"); line != std::string::npos && line + 2 < end;
       line = head.find("\r\n", line + 2)) {
    static constexpr std::string_view kName = "content-length:";
    if (head.size() - (line + 2) < kName.size()) {
      break;
    }
    bool match = true;
    for (std::size_t i = 0; i < kName.size() && match; ++i) {
      const char c = head[line + 2 + i];
      match = (c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) == kName[i];
    }
    if (match) {
      length = std::strtoull(head.c_str() + line + 2 + kName.size(), nullptr, 10);
    }
  }
  if (length == std::string::npos) {
    return false;
  }
  const std::size_t already = head.size() - (end + 4);
  body.resize(length);
  std::memcpy(body.data(), head.data() + end + 4, already < length ? already : length);
  head.resize(end + 4);
  for (std::size_t got = already; got < length;) {
    const long n = recvSome(fd, body.data() + got, length - got);
    if (n <= 0) {
      return false;
    }
    got += static_cast<std::size_t>(n);
  }
  return true;
}

inline constexpr char kBase64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (RFC 4648).
inline std::string base64Encode(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3), '=');
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  std::size_t o = 0;
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v =
        (std::uint32_t{p[i]} << 16U) | (std::uint32_t{p[i + 1]} << 8U) | p[i + 2];
    out[o++] = kBase64[(v >> 18U) & 63U];
    out[o++] = kBase64[(v >> 12U) & 63U];
    out[o++] = kBase64[(v >> 6U) & 63U];
    out[o++] = kBase64[v & 63U];
  }
  if (i < in.size()) {
    const std::uint32_t v =
        (std::uint32_t{p[i]} << 16U) | (i + 1 < in.size() ? std::uint32_t{p[i + 1]} << 8U : 0U);
    out[o++] = kBase64[(v >> 18U) & 63U];
    out[o++] = kBase64[(v >> 12U) & 63U];
    if (i + 1 < in.size()) {
      out[o++] = kBase64[(v >> 6U) & 63U];
    }
  }
  return out;
}

/// Decodes padded base64 into `out`. False on a bad length or character.
inline bool base64Decode(std::string_view in, std::string& out) {
  static const auto kTable = [] {
    struct T {
      std::int8_t v[256];
    } t{};
    std::memset(t.v, -1, sizeof t.v);
    for (int i = 0; i < 64; ++i) {
      t.v[static_cast<unsigned char>(kBase64[i])] = static_cast<std::int8_t>(i);
    }
    return t;
  }();
  if (in.size() % 4 != 0) {
    return false;
  }
  std::size_t pad = 0;
  while (pad < 2 && pad < in.size() && in[in.size() - 1 - pad] == '=') {
    ++pad;
  }
  out.resize(in.size() / 4 * 3 - pad);
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const auto quad = [&](std::size_t i, std::size_t valid, std::uint32_t* v) {
    *v = 0;
    bool ok = true;
    for (std::size_t k = 0; k < 4; ++k) {
      const std::int8_t d = k < valid ? kTable.v[p[i + k]] : std::int8_t{0};
      ok = ok && d >= 0;
      *v = (*v << 6U) | static_cast<std::uint32_t>(d < 0 ? 0 : d);
    }
    return ok;
  };
  std::size_t o = 0;
  const std::size_t full = in.empty() ? 0 : in.size() - 4;  // every group but the last
  for (std::size_t i = 0; i < full; i += 4) {
    std::uint32_t v = 0;
    if (!quad(i, 4, &v)) {
      return false;
    }
    out[o++] = static_cast<char>(v >> 16U);
    out[o++] = static_cast<char>((v >> 8U) & 255U);
    out[o++] = static_cast<char>(v & 255U);
  }
  if (!in.empty()) {
    std::uint32_t v = 0;
    if (!quad(full, 4 - pad, &v)) {
      return false;
    }
    const char bytes[3] = {static_cast<char>(v >> 16U), static_cast<char>((v >> 8U) & 255U),
                           static_cast<char>(v & 255U)};
    for (std::size_t k = 0; k < 3 - pad; ++k) {
      out[o++] = bytes[k];
    }
  }
  return true;
}

}  // namespace http_wasi
