#pragma once

// The project logger: spdlog behind RR_LOG_* macros, to stderr. Nothing per packet or per byte:
// hot paths bump counters instead.

#ifndef SPDLOG_ACTIVE_LEVEL
#define SPDLOG_ACTIVE_LEVEL SPDLOG_LEVEL_DEBUG
#endif
#include <spdlog/spdlog.h>

namespace rr::log {
/// Sets up the stderr logger once per process; level from RR_LOG (trace..off), default warn.
/// Thread-safety: call from main() before starting threads.
void init();

/// Roadrunner's own logger. It is kept out of spdlog's registry and is not spdlog's default
/// logger: WasmEdge shares the process's spdlog and silences the registry and the default logger
/// (WasmEdge_LogOff), which must not silence Roadrunner.
[[nodiscard]] spdlog::logger* logger();
}  // namespace rr::log

#define RR_LOG_DEBUG(...) SPDLOG_LOGGER_DEBUG(::rr::log::logger(), __VA_ARGS__)
#define RR_LOG_INFO(...) SPDLOG_LOGGER_INFO(::rr::log::logger(), __VA_ARGS__)
#define RR_LOG_WARN(...) SPDLOG_LOGGER_WARN(::rr::log::logger(), __VA_ARGS__)
#define RR_LOG_ERROR(...) SPDLOG_LOGGER_ERROR(::rr::log::logger(), __VA_ARGS__)
