#pragma once

// Reading a run's report in tests, and payloads that differ on every run.

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "roadrunner/runtime/runner.h"

namespace rr::testing {

/// The instance of `report` named `name`; a test failure, and an instance with exit code -1 and
/// nothing counted, if there is none.
inline const runtime::InstanceReport& instanceNamed(const runtime::RunReport& report,
                                                    const std::string& name) {
  for (const auto& i : report.instances) {
    if (i.name == name) {
      return i;
    }
  }
  ADD_FAILURE() << "no instance " << name;
  static const runtime::InstanceReport kNone{.name = "<missing>", .exit_code = -1};
  return kNone;
}

/// A seed for a guest's payload generator that differs on every call.
inline std::string freshSeed() {
  return std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

}  // namespace rr::testing
