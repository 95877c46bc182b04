#pragma once

// Tests parameterized over the three edge modes, and the run options a test with served
// functions needs.

#include <string>

#include <gtest/gtest.h>

#include "roadrunner/runtime/runner.h"

namespace rr::testing {

/// embedded, kernel and network, for INSTANTIATE_TEST_SUITE_P.
inline auto everyMode() {
  return ::testing::Values(runtime::EdgeMode::kEmbedded, runtime::EdgeMode::kKernel,
                           runtime::EdgeMode::kNetwork);
}

/// A parameter's test name: the mode's name ("embedded").
inline std::string modeTestName(const ::testing::TestParamInfo<runtime::EdgeMode>& param) {
  return runtime::modeName(param.param);
}

/// Quiet output, this build's CLI for serving processes, and the tests' shared AOT cache.
inline runtime::RunOptions servedRunOptions() {
  return {.prefix_output = false,
          .cache_dir = std::string(RR_BINARY_DIR) + "/test-aot-cache",
          .roadrunner_exe = RR_CLI};
}

}  // namespace rr::testing
