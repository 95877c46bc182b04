#pragma once

// Tests parameterized over the three edge modes, the run options a test with served functions
// needs, and the exit codes of such a run.

#include <map>
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

/// servedRunOptions() compiling at -O0, for runs whose subject is a Go guest's behaviour: a Go
/// module (1.7-2.6 MB, mostly Go's runtime) takes WasmEdge 50-80 s to compile at the default
/// -O2 and 8 s at -O0, and the suite compiles each of them in two variants.
inline runtime::RunOptions goRunOptions() {
  auto o = servedRunOptions();
  o.opt_level = 0;
  return o;
}

/// Runs `w` (by default with servedRunOptions()): each instance's exit code by name, and the
/// run's as "(run)".
inline std::map<std::string, int> exitCodes(const runtime::Workflow& w,
                                            const runtime::RunOptions& o = servedRunOptions()) {
  auto r = runtime::runWorkflow(w, o);
  EXPECT_TRUE(r.has_value()) << r.error().message();
  std::map<std::string, int> codes;
  if (r) {
    for (const auto& i : r->instances) {
      codes[i.name] = i.exit_code;
    }
    codes["(run)"] = r->exit_code;
  }
  return codes;
}

}  // namespace rr::testing
