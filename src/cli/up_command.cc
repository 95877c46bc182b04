#include <signal.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "roadrunner/runtime/runner.h"
#include "roadrunner/runtime/workflow.h"

#include "cli.h"
#include "options.h"

namespace rr::cli {

std::unique_ptr<sys::InterruptWatcher> endRunsOnInterrupt(std::string command) {
  return std::make_unique<sys::InterruptWatcher>([command = std::move(command)](int signal) {
    runtime::removeRunDirectories();
    std::fprintf(stderr, "roadrunner: %s: stopped by %s; its serving processes end with it\n",
                 command.c_str(), signal == SIGINT ? "SIGINT" : "SIGTERM");
    std::fflush(stderr);
    std::_Exit(128 + signal);
  });
}

int upCommand(Args args) {
  const auto app = makeApp("up");
  std::string file;
  runtime::RunOptions options;
  bool stats = false;
  bool memfd_copy = false;
  bool no_prefix = false;
  std::uint64_t stats_every_ms = 0;
  app->add_option("WORKFLOW.json", file, "the workflow (docs/workflows.md)")->required();
  app->add_flag("--stats", stats,
                "after the run, one row per instance on stderr: sends, bytes, copies, times");
  app->add_option("--stats-every", stats_every_ms,
                  "while the run lasts, the same table on stderr every MS milliseconds, headed "
                  "by the time since the start: a live view of the functions in this process")
      ->type_name("MS")
      ->check(wholeNumber(10, 86400000));
  app->add_option("--metrics", options.metrics_address,
                  "while the run lasts, serve Prometheus metrics at /metrics on ADDRESS: "
                  "unix:PATH or tcp:HOST:PORT (docs/observability.md)")
      ->type_name("ADDRESS");
  app->add_option("--traces", options.traces,
                  "a span for the run, one per send and one per handler run, here and in the "
                  "serving processes (one trace), exported over OTLP/HTTP to the collector at "
                  "http://HOST:PORT (docs/observability.md)")
      ->type_name("URL");
  app->add_flag("--interpreter", options.interpreter,
                "run with WasmEdge's interpreter instead of the AOT cache, served functions too");
  app->add_option("-O", options.opt_level,
                  "the AOT optimisation level, served functions too (default 2; 0 compiles a "
                  "large module some 10x faster into slower code)")
      ->type_name("LEVEL")
      ->check(wholeNumber(0, 3));
  app->add_flag("--no-prefix", no_prefix,
                "functions write straight to stdout and stderr, without the `NAME | ` prefix");
  app->add_option("--memfd-threshold", options.memfd_threshold,
                  "kernel edges: payloads of at least BYTES travel as a memfd (default 1048576; "
                  "0: every non-empty one)")
      ->type_name("BYTES")
      ->check(wholeNumber(0, UINT64_MAX));
  app->add_flag("--memfd-copy", memfd_copy,
                "served receivers copy memfd payloads instead of mapping their pages");
  app->footer(
      "Exit status: the first non-zero exit code of a command; else 1 if a function failed; "
      "else 0.");
  if (auto status = parse(*app, args)) {
    return *status;
  }
  const auto interrupts = endRunsOnInterrupt("up");
  options.memfd_map = !memfd_copy;
  options.stats_interval = std::chrono::milliseconds(stats_every_ms);
  options.prefix_output = !no_prefix;
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
  if (report->exit_code != 0) {
    // Why, one line per cause (the functions' own warnings above say more).
    for (const std::string& failure : report->failures) {
      std::fprintf(stderr, "roadrunner: up exits %d: %s\n", report->exit_code, failure.c_str());
    }
  }
  return report->exit_code;
}

}  // namespace rr::cli
