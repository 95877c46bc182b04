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
}  // namespace rr::log

#define RR_LOG_DEBUG(...) SPDLOG_DEBUG(__VA_ARGS__)
#define RR_LOG_INFO(...) SPDLOG_INFO(__VA_ARGS__)
#define RR_LOG_WARN(...) SPDLOG_WARN(__VA_ARGS__)
#define RR_LOG_ERROR(...) SPDLOG_ERROR(__VA_ARGS__)
