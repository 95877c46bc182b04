#include "roadrunner/base/log.h"

#include <cstdlib>
#include <memory>
#include <string>

#include <spdlog/sinks/stdout_sinks.h>

namespace rr::log {

spdlog::logger* logger() {
  static const std::shared_ptr<spdlog::logger> instance = [] {
    auto made = std::make_shared<spdlog::logger>("roadrunner",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
    made->set_pattern("roadrunner: %l: %v");
    made->set_level(spdlog::level::warn);
    return made;
  }();
  return instance.get();
}

void init() {
  const char* env = std::getenv("RR_LOG");
  logger()->set_level(env != nullptr ? spdlog::level::from_str(env) : spdlog::level::warn);
}

}  // namespace rr::log
