#include "roadrunner/base/log.h"

#include <cstdlib>
#include <string>

#include <spdlog/sinks/stdout_sinks.h>

namespace rr::log {

void init() {
  auto logger = spdlog::stderr_logger_mt("roadrunner");
  logger->set_pattern("roadrunner: %l: %v");
  const char* env = std::getenv("RR_LOG");
  logger->set_level(env != nullptr ? spdlog::level::from_str(env) : spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace rr::log
