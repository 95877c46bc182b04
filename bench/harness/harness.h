#pragma once

// roadrunner bench: end-to-end transfers through real guests, with the physical limits of the
// same sizes measured in the same run. Output: JSON (schema in docs/benchmarks.md) and CSV.

#include <cstdint>
#include <string>
#include <vector>

#include "roadrunner/base/error.h"

namespace rr::bench {

struct Options {
  /// Roadrunner's in-process mode and what two Wasm functions on one WasmEdge do without it.
  std::vector<std::string> systems = {"embedded", "wasmedge-http-raw"};
  std::vector<std::uint64_t> sizes;  ///< bytes
  int runs = 20;                     ///< measured rounds after the cold one (and samples per limit)
  std::vector<std::uint32_t> fanouts;        ///< fan-out workload: N receivers each get every send
  std::uint64_t fanout_size = 10ULL << 20U;  ///< payload per receiver in the fan-out workload
  /// Fan-out receivers check each page's stamp (16 bytes a page) instead of every byte, as a
  /// function that routes or samples its input does (bench_receiver's BENCH_STAMPS).
  bool fanout_stamps = false;
  std::string json_path;  ///< empty: no JSON
  std::string guest_dir;  ///< where bench_sender.wasm and bench_receiver.wasm are
  /// The language of the chain's sender and receiver: "c" (bench_sender, bench_receiver) or
  /// "rust" (rust_bench_sender, rust_bench_receiver, on the same payloads).
  std::string guests = "c";
  std::string roadrunner_exe = "/proc/self/exe";  ///< runs `serve` for kernel systems
  /// Network system on a test host (scripts/bench-veth): receivers and the TCP limit's reader
  /// run in network namespace `serve_netns`, listening on `network_host`.
  std::string network_host = "127.0.0.1";
  /// Non-empty: Roadrunner's runs export spans to this OTLP/HTTP collector (runtime::RunOptions),
  /// so a run measures what tracing costs.
  std::string traces;
  std::string serve_netns;
  std::uint64_t splice_threshold = 256U << 10U;  ///< network: vmsplice from this size
  bool progress = true;
  /// Also the in-place workload: Roadrunner's receivers write their whole buffer after reading.
  bool in_place = false;
  /// Print our speedups over wasmedge-http-raw beside the paper's.
  bool paper = false;
  /// Non-empty: also the inter-node figure, network mode and the raw-bytes baselines with their
  /// receivers on a test host behind a veth pair shaped to this rate ("1gbit"; needs root).
  std::string link_rate;
};

/// "1M,16M,100M" (K, M, G are powers of 1024; no suffix: bytes).
[[nodiscard]] Result<std::vector<std::uint64_t>> parseSizes(const std::string& list);

/// Runs everything, prints a table on stdout, writes JSON (and CSV beside it) if asked.
[[nodiscard]] Result<> run(const Options& options);

}  // namespace rr::bench
