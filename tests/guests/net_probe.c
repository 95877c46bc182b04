// roadrunner-guest: reactor
// Tries to reach out of the sandbox through WasmEdge 0.14.1's WASI socket extension and
// path_symlink, and reports the WASI errno of the call that decided (0: it worked).
//
// $NET_PROBE picks what to try; $NET_PROBE_PORT is a port on 127.0.0.1:
//   connect     sock_open(INET4, STREAM), sock_connect to 127.0.0.1:PORT (the default)
//   connect_v2  the same through sock_connect_v2 with a 128-byte address (family, then bytes)
//   wild        sock_open, then sock_connect with an address pointer past the end of memory
//   bind        sock_open, sock_bind on 127.0.0.1:PORT (0: any port), sock_listen
//   listen      sock_open, then sock_listen without a bind (the kernel picks 0.0.0.0:PORT)
//   udp         sock_open(INET4, DGRAM)
//   resolve     sock_getaddrinfo("localhost")
//   symlink     path_symlink("../../../../../../etc/passwd" -> "escape") in the first preopen
//   raise       proc_raise(SIGKILL), which WasmEdge passes to raise(3) in the host process
//   every       each of the 26 sock_* functions of WasmEdge 0.14.1, with all arguments 0; the
//               first that does not return 76 (__WASI_ERRNO_NOTCAPABLE) decides
//   ask         send "probe" to $NET_PROBE_TARGET and report the errno it replies
// As a command (its own _start; it is a reactor so that it can also receive): prints
// "net_probe MODE: CALL errno N" and exits with N (ask: 200 + the status if the send failed).
// As a receiver: runs the probe for each delivery and replies with N as a uint32_t.
// The imports are declared here, as bench/guests/http_wasi.hpp does; every call returns an errno.
#define ROADRUNNER_RECEIVER
#include <roadrunner/guest/roadrunner.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#define WASI_SOCK(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(name)))

typedef struct {
  uint8_t* buf;
  uint32_t buf_len;
} probe_address_t;

uint32_t probe_sock_open(uint32_t family, uint32_t type, int32_t* fd) WASI_SOCK("sock_open");
uint32_t probe_sock_bind(int32_t fd, probe_address_t* address, uint32_t port)
    WASI_SOCK("sock_bind");
uint32_t probe_sock_listen(int32_t fd, int32_t backlog) WASI_SOCK("sock_listen");
uint32_t probe_sock_connect(int32_t fd, probe_address_t* address, uint32_t port)
    WASI_SOCK("sock_connect");
uint32_t probe_sock_connect_v2(int32_t fd, probe_address_t* address, uint32_t port)
    WASI_SOCK("sock_connect_v2");
// Gone from wasi-libc's headers, still in WasmEdge's wasi_snapshot_preview1.
uint32_t probe_proc_raise(uint32_t signal)
    __attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise")));
uint32_t probe_sock_getaddrinfo(const char* node, uint32_t node_len, const char* service,
                                uint32_t service_len, const void* hints, void* res,
                                uint32_t max_res, uint32_t* res_len) WASI_SOCK("sock_getaddrinfo");

// Every socket function, with the parameter count the installed library reports (all i32).
#define P1 uint32_t
#define P2 P1, uint32_t
#define P3 P2, uint32_t
#define P4 P3, uint32_t
#define P5 P4, uint32_t
#define P6 P5, uint32_t
#define P7 P6, uint32_t
#define P8 P7, uint32_t
// clang-format off
#define EVERY_SOCK(X) \
  X(sock_accept, 2) \
  X(sock_accept_v2, 3) \
  X(sock_bind, 3) \
  X(sock_bind_v2, 3) \
  X(sock_connect, 3) \
  X(sock_connect_v2, 3) \
  X(sock_getaddrinfo, 8) \
  X(sock_getlocaladdr, 4) \
  X(sock_getlocaladdr_v2, 3) \
  X(sock_getpeeraddr, 4) \
  X(sock_getpeeraddr_v2, 3) \
  X(sock_getsockopt, 5) \
  X(sock_listen, 2) \
  X(sock_listen_v2, 2) \
  X(sock_open, 3) \
  X(sock_open_v2, 3) \
  X(sock_recv, 6) \
  X(sock_recv_from, 7) \
  X(sock_recv_from_v2, 8) \
  X(sock_recv_v2, 6) \
  X(sock_send, 5) \
  X(sock_send_to, 7) \
  X(sock_send_to_v2, 7) \
  X(sock_send_v2, 5) \
  X(sock_setsockopt, 5) \
  X(sock_shutdown, 2)
// clang-format on
#define DECLARE(name, n) uint32_t every_##name(P##n) WASI_SOCK(#name);
EVERY_SOCK(DECLARE)

enum { kInet4 = 1, kStream = 2, kDgram = 1, kSigKill = 9, kNotCapable = 76 };

#define ZEROS_2 0, 0
#define ZEROS_3 ZEROS_2, 0
#define ZEROS_4 ZEROS_3, 0
#define ZEROS_5 ZEROS_4, 0
#define ZEROS_6 ZEROS_5, 0
#define ZEROS_7 ZEROS_6, 0
#define ZEROS_8 ZEROS_7, 0
#define CALL(name, n)                                   \
  if ((err = every_##name(ZEROS_##n)) != kNotCapable) { \
    g_call = #name;                                     \
    return err;                                         \
  }

static const char* g_call = "";

static uint32_t check(const char* call, uint32_t err) {
  g_call = call;
  return err;
}

static uint32_t openTcp(int32_t* fd) {
  return check("sock_open", probe_sock_open(kInet4, kStream, fd));
}

static uint32_t everySocketFunction(void) {
  uint32_t err = 0;
  EVERY_SOCK(CALL)
  g_call = "every sock_*";
  return kNotCapable;
}

static uint32_t probe(const char* mode, uint32_t port) {
  uint8_t ip[4] = {127, 0, 0, 1};
  probe_address_t address = {ip, sizeof ip};
  int32_t fd = -1;
  uint32_t err = 0;
  if (strcmp(mode, "udp") == 0) {
    return check("sock_open", probe_sock_open(kInet4, kDgram, &fd));
  }
  if (strcmp(mode, "resolve") == 0) {
    uint8_t hints[64] = {0};
    uint8_t res[256] = {0};
    uint32_t res_len = 0;
    return check("sock_getaddrinfo",
                 probe_sock_getaddrinfo("localhost", 9, "80", 2, hints, res, 1, &res_len));
  }
  if (strcmp(mode, "every") == 0) {
    return everySocketFunction();
  }
  if (strcmp(mode, "raise") == 0) {
    return check("proc_raise", probe_proc_raise(kSigKill));
  }
  if (strcmp(mode, "symlink") == 0) {
    return check("path_symlink", __wasi_path_symlink("../../../../../../etc/passwd", 3, "escape"));
  }
  if ((err = openTcp(&fd)) != 0) {
    return err;
  }
  if (strcmp(mode, "wild") == 0) {
    return check("sock_connect", probe_sock_connect(fd, (probe_address_t*)0xFFFFFFF0u, port));
  }
  if (strcmp(mode, "connect_v2") == 0) {
    uint8_t storage[128] = {kInet4, 0, 127, 0, 0, 1};
    probe_address_t v2 = {storage, sizeof storage};
    return check("sock_connect_v2", probe_sock_connect_v2(fd, &v2, port));
  }
  if (strcmp(mode, "bind") == 0) {
    if ((err = check("sock_bind", probe_sock_bind(fd, &address, port))) != 0) {
      return err;
    }
    return check("sock_listen", probe_sock_listen(fd, 4));
  }
  if (strcmp(mode, "listen") == 0) {
    return check("sock_listen", probe_sock_listen(fd, 4));
  }
  return check("sock_connect", probe_sock_connect(fd, &address, port));
}

static uint32_t probeFromEnv(void) {
  const char* mode = getenv("NET_PROBE");
  const char* port = getenv("NET_PROBE_PORT");
  const uint32_t err = probe(mode ? mode : "connect", port ? (uint32_t)strtoul(port, NULL, 10) : 0);
  printf("net_probe %s: %s errno %u\n", mode ? mode : "connect", g_call, err);
  fflush(stdout);
  return err;
}

static int ask(void) {
  const char* target = getenv("NET_PROBE_TARGET");
  uint32_t reply = 0;
  uint32_t reply_len = 0;
  const rr_status_t st =
      rr_send_reply(target ? target : "", "probe", 5, &reply, sizeof reply, &reply_len);
  if (st != RR_OK || reply_len != sizeof reply) {
    printf("net_probe ask: send to %s: %s\n", target ? target : "", rr_status_name(st));
    return 200 + (int)st;
  }
  printf("net_probe ask: %s replied errno %u\n", target, reply);
  return (int)reply;
}

void __wasm_call_ctors(void);

__attribute__((export_name("_start"))) void probe_start(void) {
  __wasm_call_ctors();
  const char* mode = getenv("NET_PROBE");
  exit(mode && strcmp(mode, "ask") == 0 ? ask() : (int)probeFromEnv());
}

int32_t rr_handle(const uint8_t* buf, uint32_t len, const char* source, uint32_t source_len) {
  (void)buf;
  (void)len;
  (void)source;
  (void)source_len;
  const uint32_t err = probeFromEnv();
  return rr_reply(&err, sizeof err) == RR_OK ? 0 : 1;
}
