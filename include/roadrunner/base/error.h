#pragma once

#include <cerrno>
#include <expected>
#include <string>
#include <string_view>
#include <system_error>

namespace rr {

/// Roadrunner's own error domain: protocol, configuration and guest failures.
/// errno values travel in std::generic_category(); WasmEdge's in rr::wasm's category.
enum class Errc : int {
  kOk = 0,
  kInvalidArgument,  ///< bad flag, bad value in a config or a CLI argument
  kNotFound,         ///< a named function, target or file that does not exist
  kNotWasm,          ///< a file that is not a WebAssembly module
  kInvalidModule,    ///< a module that WasmEdge refuses to load, validate or instantiate
  kMissingExport,    ///< a module without an export Roadrunner needs (_start, rr_alloc, ...)
  kAbiMismatch,      ///< the guest was built against another Roadrunner ABI version
  kTrap,             ///< the guest trapped
  kCacheCorrupt,     ///< an AOT cache entry that failed its integrity check
  kMalformedConfig,  ///< a workflow file that does not parse or does not make sense
  kCycle,            ///< a workflow whose edges form a cycle
  kTimedOut,         ///< an invocation or I/O that ran past its time limit
  kProtocol,         ///< a peer that broke the wire protocol
  kExited,           ///< the guest called proc_exit where it had to return
};

[[nodiscard]] const std::error_category& roadrunnerCategory() noexcept;

inline std::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), roadrunnerCategory()};
}

/// An error: a code (comparable across domains) and what failed, with detail.
///
/// `op` is a short static description ("load", "connect"); `detail` carries what only the call
/// site knows (a path, WasmEdge's message). `message()` reads "load /x.wasm: magic header not
/// detected".
struct Error {
  std::error_code code;
  std::string_view op;
  std::string detail;

  static Error fromErrno(std::string_view op, int err = errno, std::string detail = {}) {
    return {.code = std::error_code(err, std::generic_category()),
            .op = op,
            .detail = std::move(detail)};
  }
  static Error make(Errc code, std::string_view op, std::string detail = {}) {
    return {.code = make_error_code(code), .op = op, .detail = std::move(detail)};
  }
  [[nodiscard]] std::string message() const;
};

template <typename T = void>
using Result = std::expected<T, Error>;

/// Shorthand for `return std::unexpected(Error::make(...))`.
inline std::unexpected<Error> fail(Errc code, std::string_view op, std::string detail = {}) {
  return std::unexpected(Error::make(code, op, std::move(detail)));
}
inline std::unexpected<Error> failErrno(std::string_view op, int err = errno,
                                        std::string detail = {}) {
  return std::unexpected(Error::fromErrno(op, err, std::move(detail)));
}

}  // namespace rr

template <>
struct std::is_error_code_enum<rr::Errc> : std::true_type {};
