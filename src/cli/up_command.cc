#include <algorithm>
#include <cstdio>
#include <string>

#include "cli.h"
#include "roadrunner/runtime/runner.h"
#include "roadrunner/runtime/workflow.h"

namespace rr::cli {

int upCommand(Args args) {
  std::string file;
  runtime::RunOptions options;
  bool stats = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--memfd-threshold" && i + 1 < args.size()) {
      const std::string v(args[++i]);
      if (v.empty() || !std::ranges::all_of(v, [](char c) { return c >= '0' && c <= '9'; })) {
        return usageError("up: --memfd-threshold takes a number of bytes");
      }
      options.memfd_threshold = std::stoull(v);
    } else if (arg == "--memfd-copy") {
      options.memfd_map = false;
    } else if (arg == "--interpreter") {
      options.interpreter = true;
    } else if (arg == "--stats") {
      stats = true;
    } else if (arg == "--no-prefix") {
      options.prefix_output = false;
    } else if (arg.starts_with("-")) {
      return usageError("up: unknown flag '" + std::string(arg) + "'");
    } else if (file.empty()) {
      file = arg;
    } else {
      return usageError("up: one workflow at a time");
    }
  }
  if (file.empty()) {
    return usageError("up: no workflow given (roadrunner up WORKFLOW.json)");
  }
  auto workflow = runtime::loadWorkflow(file);
  if (!workflow) {
    return reportError(workflow.error());
  }
  auto report = runtime::runWorkflow(*workflow, options);
  if (!report) {
    return reportError(report.error());
  }
  if (stats) {
    runtime::printReport(*report, stderr);
  }
  return report->exit_code;
}

}  // namespace rr::cli
