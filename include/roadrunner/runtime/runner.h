#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "roadrunner/base/error.h"
#include "roadrunner/runtime/function_actor.h"
#include "roadrunner/runtime/workflow.h"
#include "roadrunner/sys/subprocess.h"

namespace rr::runtime {

struct RunOptions {
  bool interpreter = false;
  int opt_level = 2;          ///< AOT optimisation level, 0..3, here and in the serving processes
  bool prefix_output = true;  ///< each line of a function's output prefixed "name | "
  std::string cache_dir;      ///< empty: the default AOT cache
  /// Receivers keep each delivery's send -> handler time, commands each send's windows.
  bool record_latencies = false;
  /// The roadrunner executable, for functions served in their own process (kernel mode).
  std::string roadrunner_exe = "/proc/self/exe";
  /// Kernel mode: payloads of at least this many bytes travel as a memfd. 1 MiB: from there on
  /// the memfd path measured 2-4x faster than the socket to the handler's entry, and about even
  /// once the receiver has read every byte, but a receiver that writes its buffer in place pays
  /// a copy-on-write fault per page (docs/benchmarks.md); at 1 KiB the
  /// socket is slightly faster.
  std::uint64_t memfd_threshold = 1ULL << 20U;
  /// Kernel mode: map memfd pages into the receiver's buffer (false: copy from a mapping).
  bool memfd_map = true;
  /// Network mode: payloads of at least this many bytes are sent with vmsplice + splice.
  std::uint64_t splice_threshold = 256U << 10U;
  /// Network mode: where locally started receivers listen (an address of this host), and a
  /// command prefix to start them with (e.g. {"ip", "netns", "exec", "B"} for a test host).
  std::string network_host = "127.0.0.1";
  std::vector<std::string> serve_prefix;
  /// How long a served function's `roadrunner serve` may take to report that it listens
  /// (sys::kReadyDeadline); a child that has not by then is killed and the run fails to start.
  std::chrono::milliseconds ready_timeout = sys::kReadyDeadline;
  /// > 0: while the workflow runs, print the report table (printReport) to `stats_out` this
  /// often, headed by the time since the start; a live view of the functions in this process.
  std::chrono::milliseconds stats_interval{0};
  std::FILE* stats_out = stderr;
  /// Non-empty: serve the run's metrics (runtime::renderMetrics) at /metrics on this address,
  /// unix:PATH or tcp:HOST:PORT, while the run lasts; the address is printed to `stats_out`.
  std::string metrics_address;
  /// Non-empty: an OTLP/HTTP collector (http://HOST:PORT) that gets a span for the run, one per
  /// send and one per handler run, in this process and in its serving processes (one trace).
  std::string traces;
  /// Called once each, on the calling thread: when every serving process listens and every
  /// receiver runs, just before the first command starts; and when the last command has ended,
  /// before anything stops. Between the two lies the workflow's steady work, neither its
  /// start-up nor its shutdown (the soak samples there).
  std::function<void()> on_commands_starting;
  std::function<void()> on_commands_ended;
};

/// What one function instance did, for `--stats` and the benchmark.
struct InstanceReport {
  std::string name;
  bool receiver = false;
  std::uint64_t sends = 0;
  std::uint64_t failures = 0;
  std::uint64_t bytes = 0;
  std::uint64_t copies = 0;        ///< whole copies, observed per send (host::copiesOf)
  std::uint64_t copied_bytes = 0;  ///< payload bytes the hosts copied, observed at each copy site
  /// Of copied_bytes, those the sending thread copied itself while its receiver in this process
  /// copied the rest (host::Completion::copyTogether)
  std::uint64_t sender_copied_bytes = 0;
  std::uint64_t moved_bytes = 0;   ///< payload bytes whose pages moved (move sends), no copy
  std::uint64_t mapped_bytes = 0;  ///< bytes mapped from a shared buffer, receivers summed
  double send_seconds = 0;
  std::uint64_t handler_traps = 0;     ///< traps, exits and time-outs: each a new instance
  std::uint64_t handler_timeouts = 0;  ///< of those, past the time limit
  std::uint64_t handler_exits = 0;     ///< of those, proc_exit
  std::uint64_t deliveries = 0;        ///< receivers: messages that reached the handler
  std::uint64_t delivered_bytes = 0;
  double delivery_seconds = 0;    ///< summed: sender's send call -> handler entry
  std::vector<double> latencies;  ///< per delivery, with RunOptions::record_latencies
                                  ///< (kernel edges: recorded on the sending side)
  /// Commands, with RunOptions::record_latencies: each successful send's windows.
  std::vector<host::SendTiming> send_timings;
  /// The counters the instance's guest added to (the add_counter import), by name.
  std::vector<std::pair<std::string, std::uint64_t>> guest_counters;
  int exit_code = 0;
  std::string error;  ///< a command that trapped or failed
};

struct RunReport {
  int exit_code = 0;  ///< the workflow's status: first non-zero command exit, or 1 on any failure
  std::vector<InstanceReport> instances;
  /// Why exit_code is not 0: one line per cause, naming the function ("receiver 'sink': 3
  /// deliveries failed (trap, proc_exit or time limit)").
  std::vector<std::string> failures;
  /// The sum of each serving process's own peak resident set (kernel and network receivers),
  /// measured when it was reaped; 0 when nothing was served.
  std::uint64_t served_peak_rss_bytes = 0;
  /// The run's metrics at its end, as /metrics served them (runtime::renderMetrics).
  std::string metrics;
};

/// Runs a workflow. Functions reached by embedded edges run in this process, every instance on its
/// own thread with its own VM (see FunctionActor); functions reached by kernel edges run each
/// instance in its own `roadrunner serve` process behind a UNIX socket in a private 0700
/// directory. Served functions start first, then in-process receivers, then commands; returns
/// when every command has ended, and stops the rest.
/// Errors are set-up failures (a missing module, a receiver without rr_on_message, a mode this
/// build cannot run); what the functions do is in the report.
[[nodiscard]] Result<RunReport> runWorkflow(const Workflow& workflow, const RunOptions& options);

/// Removes the socket directories of every run in progress, for a process that is about to end
/// without finishing them (an interrupt); their serving processes die with it (`serve --parent`).
/// From any thread.
void removeRunDirectories() noexcept;

/// What one running or finished actor did, read from its counters (safe while it runs).
[[nodiscard]] InstanceReport reportOf(FunctionActor& actor, bool receiver);

/// Prints the report as a table ("--stats").
void printReport(const RunReport& report, std::FILE* out);

}  // namespace rr::runtime
