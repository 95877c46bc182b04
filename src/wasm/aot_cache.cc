#include "roadrunner/wasm/aot_cache.h"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "roadrunner/base/file.h"
#include "roadrunner/base/log.h"
#include "roadrunner/base/sha256.h"
#include "roadrunner/base/try.h"
#include "roadrunner/sys/file_lock.h"

#include "handles.h"

namespace rr::wasm {
namespace {

/// How long a compile waits for another process compiling the same module: more than the
/// slowest compile measured (a 2.7 MB Go module, about a minute on a loaded core).
constexpr std::chrono::minutes kCompileWait{10};

std::span<const std::byte> asBytes(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

// The CPU's model name and feature flags: objects compiled for one CPU may not run on another.
std::string cpuIdentity() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  std::string id;
  while (std::getline(in, line)) {
    if (line.starts_with("model name") || line.starts_with("flags")) {
      id += line;
      id += '\n';
    }
    if (line.empty() && !id.empty()) {
      break;  // the first processor is enough
    }
  }
  return id;
}

std::string configKey(int opt_level, bool interruptible) {
  static const std::string cpu = cpuIdentity();
  const std::string config = std::string(WasmEdge_VersionGet()) + "|O" + std::to_string(opt_level) +
                             (interruptible ? "|I" : "") + "|" + cpu;
  return toHex(sha256(asBytes(config))).substr(0, 16);
}

Result<> makeDirs(const std::string& dir) {
  std::string partial;
  for (std::size_t pos = 0; pos != std::string::npos;) {
    pos = dir.find('/', pos + 1);
    partial = dir.substr(0, pos);
    if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
      return failErrno("create AOT cache", errno, partial);
    }
  }
  return {};
}

bool verified(const std::string& object) {
  std::ifstream sidecar(object + ".sha256");
  std::string want;
  if (!(sidecar >> want)) {
    return false;
  }
  const auto bytes = readFile(object);
  return bytes && toHex(sha256(*bytes)) == want;
}

}  // namespace

Result<AotCache> AotCache::open(std::string dir, int opt_level, bool interruptible) {
  RR_RETURN_IF_ERROR(makeDirs(dir));
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return failErrno("open AOT cache", errno, dir);
  }
  return AotCache(std::move(dir), opt_level, interruptible);
}

std::string AotCache::pathFor(std::span<const std::byte> wasm) const {
  return dir_ + "/" + toHex(sha256(wasm)) + "-" + configKey(opt_level_, interruptible_) + ".so";
}

bool AotCache::has(std::span<const std::byte> wasm) const { return verified(pathFor(wasm)); }

Result<AotCache::Entry> AotCache::compiled(std::span<const std::byte> wasm,
                                           const std::string& display_name) const {
  const std::string path = pathFor(wasm);
  if (verified(path)) {
    return Entry{.path = path, .hit = true};
  }
  // One compile per entry at a time: a process that finds another compiling the same module
  // waits for its object instead of compiling it too (a large module takes minutes, and two
  // compiles share the cores). A lock not had within the limit is compiled without; publishing
  // by rename keeps that correct.
  auto lock = sys::FileLock::acquire(path + ".lock", kCompileWait);
  if (lock && verified(path)) {
    return Entry{.path = path, .hit = true};
  }
  if (!lock) {
    RR_LOG_WARN("{}: compiling without the cache entry's lock: {}", display_name,
                lock.error().message());
  }
  // The compiler's linker (lld, in process) exits the whole process when it cannot write its
  // output, so make sure there is room first: objects measured here are 1.2-3x the module,
  // plus an intermediate object of about the same size.
  struct statvfs fs{};
  const std::uint64_t need = std::uint64_t{wasm.size()} * 8 + (4U << 20U);
  if (::statvfs(dir_.c_str(), &fs) == 0 && std::uint64_t{fs.f_bavail} * fs.f_frsize < need) {
    return failErrno("compile", ENOSPC,
                     display_name + ": the AOT cache " + dir_ + " has less than " +
                         std::to_string(need >> 10U) + " KiB free");
  }
  // Compile to a private temporary name, then publish object and sidecar by rename(2); a
  // concurrent process compiling the same module publishes identical bytes.
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const ConfigurePtr conf(WasmEdge_ConfigureCreate());
  WasmEdge_ConfigureCompilerSetOptimizationLevel(
      conf.get(), static_cast<WasmEdge_CompilerOptimizationLevel>(opt_level_));
  WasmEdge_ConfigureCompilerSetOutputFormat(conf.get(), WasmEdge_CompilerOutputFormat_Native);
  WasmEdge_ConfigureCompilerSetInterruptible(conf.get(), interruptible_);
  const CompilerPtr compiler(WasmEdge_CompilerCreate(conf.get()));
  const WasmEdge_Result result = WasmEdge_CompilerCompileFromBuffer(
      compiler.get(), reinterpret_cast<const std::uint8_t*>(wasm.data()), wasm.size(), tmp.c_str());
  if (!WasmEdge_ResultOK(result)) {
    ::unlink(tmp.c_str());
    return fail(Errc::kInvalidModule, "compile", display_name + ": " + resultMessage(result));
  }
  auto object = readFile(tmp);
  if (!object || object->empty()) {
    ::unlink(tmp.c_str());
    return failErrno("compile", EIO, display_name + ": the compiler wrote no object to " + tmp);
  }
  const std::string digest = toHex(sha256(*object)) + "\n";
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return failErrno("write AOT cache", err, path);
  }
  RR_RETURN_IF_ERROR(writeFileAtomic(path + ".sha256", asBytes(digest)));
  return Entry{.path = path, .hit = false};
}

}  // namespace rr::wasm
