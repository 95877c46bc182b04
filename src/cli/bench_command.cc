#include <unistd.h>

#include <cstdio>
#include <string>

#include "roadrunner/base/net_grant.h"

#include "../../bench/harness/harness.h"
#include "../../bench/harness/stream_workload.h"
#include "../../bench/soak/soak.h"
#include "cli.h"
#include "options.h"

namespace rr::cli {

namespace {

int streamBench(std::vector<std::string> modes, const std::string& stream_size,
                const std::string& chunk, int runs, bool move_chunks, const bench::Options& chain) {
  bench::StreamOptions options{.runs = runs,
                               .move_chunks = move_chunks,
                               .guest_dir = chain.guest_dir,
                               .roadrunner_exe = chain.roadrunner_exe,
                               .network_host = chain.network_host,
                               .json_path = chain.json_path};
  if (!modes.empty()) {
    options.modes = std::move(modes);
  }
  if (const auto total = streamBytes(stream_size); total) {  // checked when given
    options.total = *total;
  }
  if (!chunk.empty()) {
    options.chunk = static_cast<std::uint32_t>(bench::parseSizes(chunk)->front());
  }
  if (auto r = bench::runStreamWorkload(options); !r) {
    return reportError(r.error());
  }
  return 0;
}

}  // namespace

int benchCommand(Args args) {
  const auto app = makeApp("bench");
  bench::Options options;
  options.guest_dir = guestDir();
  bool quick = false;
  bool paper = false;
  std::string systems;
  std::string sizes = "1M,16M,100M,500M";
  std::string fanouts;
  std::string fanout_size;
  std::string splice_threshold;
  std::string workload = "chain";
  std::string stream_size;
  bool stream_move = false;
  std::string chunk;
  app->add_option("--workload", workload,
                  "chain (the default: every workload above) or stream: streams per mode "
                  "(embedded, kernel, network) against the mode's one-stream limit, a bounded "
                  "run of --stream-size with every function's memory capped at 64 MiB, and a "
                  "three-stage pipeline streamed against whole sends (docs/benchmarks.md)")
      ->type_name("NAME")
      ->check(CLI::IsMember({"chain", "stream"}));
  app->add_option("--stream-size", stream_size,
                  "the stream workload's bounded run: bytes through producer -> transform -> "
                  "sink (default 16G)")
      ->type_name("SIZE")
      ->check(streamSize());
  app->add_option("--chunk", chunk, "the stream workload's chunk size (default 1M)")
      ->type_name("SIZE")
      ->check(payloadSizes(false));
  app->add_flag("--stream-move", stream_move,
                "the stream workload's bounded and pipeline producers hand each chunk over "
                "(stream_write_move) instead of lending it");
  app->add_flag("--quick", quick,
                "every system, the sizes 1M,16M,100M and fan-out 1,10, where --modes, --sizes "
                "and --fanout do not say otherwise (about two minutes)");
  app->add_flag("--paper", paper,
                "the paper's evaluation: every system, the sizes 1M,10M,100M,500M, the in-place "
                "workload and fan-out 1,10,20,40,60,80,100 of 10M, with our speedups over "
                "wasmedge-http-raw beside the paper's, and (as root) the inter-node figure over a "
                "veth pair shaped to 1 Gbit/s, where --modes, --sizes and --fanout do not say "
                "otherwise");
  app->add_flag("--in-place", options.in_place,
                "also the in-place workload: Roadrunner's receivers write their whole buffer "
                "after reading it");
  app->add_option("--modes,--systems", systems,
                  "the systems to measure: embedded, embedded-move, embedded-shared, kernel, "
                  "kernel-memfd, kernel-memfd-copy, kernel-move, kernel-shared, "
                  "network, and the baselines wasmedge-http-raw, native-http-raw, wasmedge-http, "
                  "native-http, redis, iceoryx, nats, grpc (default embedded,wasmedge-http-raw)")
      ->type_name("SYSTEM,...");
  app->add_option("--sizes", sizes,
                  "payload sizes: N, NK, NM or NG (powers of 1024), below 4 GiB (default "
                  "1M,16M,100M,500M)")
      ->type_name("SIZE,...")
      ->check(payloadSizes(true));
  app->add_option("--runs", options.runs,
                  "measured rounds per size, after the cold one (1 to 1000; default 20)")
      ->type_name("N")
      ->check(wholeNumber(1, 1000));
  app->add_option("--fanout", fanouts,
                  "also the fan-out workload, one sender to N receivers, for each N (1 to 1024)")
      ->type_name("N,...")
      ->check(wholeNumberList(1, 1024));
  app->add_option("--fanout-size", fanout_size,
                  "the fan-out workload's payload per receiver (default 10M)")
      ->type_name("SIZE")
      ->check(payloadSizes(false));
  app->add_flag("--fanout-stamps", options.fanout_stamps,
                "Roadrunner's fan-out receivers check each page's stamp (16 bytes a page) "
                "instead of every byte, as a function that routes or samples its input does");
  app->add_option("--splice-threshold", splice_threshold,
                  "network: payloads of at least SIZE go out with vmsplice (default 256K)")
      ->type_name("SIZE")
      ->check(payloadSizes(false));
  app->add_option("--network-host", options.network_host,
                  "network: the IPv4 address receivers listen on (default 127.0.0.1)")
      ->type_name("IP")
      ->check(CLI::Validator(
          [](std::string& ip) {
            return ip == "localhost" || parseNetGrant("tcp:" + ip + ":1")
                       ? std::string()
                       : "'" + ip + "' is not an IPv4 address";
          },
          ""));
  app->add_option("--traces", options.traces,
                  "Roadrunner's runs trace every send and handler run to the OTLP/HTTP collector "
                  "at http://HOST:PORT (scripts/otlp-sink discards them), to measure the cost")
      ->type_name("URL");
  app->add_option("--serve-netns", options.serve_netns,
                  "network: run receivers and the TCP limit's reader in this network namespace "
                  "(scripts/bench-veth sets both)")
      ->type_name("NAME");
  app->add_option("--link-rate", options.link_rate,
                  "also the inter-node figure: network, native-http-raw and wasmedge-http-raw "
                  "(those among the systems) with their receivers on a test host behind a veth "
                  "pair shaped to RATE in tc's syntax, e.g. 1gbit (needs root; --paper: 1gbit "
                  "when run as root)")
      ->type_name("RATE")
      ->check(nonEmpty());
  app->add_option("--guests", options.guests,
                  "the language of Roadrunner's chain and in-place sender and receiver: c or "
                  "rust (the Rust SDK's twins, on the same payloads; default c)")
      ->type_name("LANG")
      ->check(CLI::IsMember({"c", "rust"}));
  app->add_option("--json", options.json_path,
                  "write the results as JSON to FILE, and as CSV beside it")
      ->type_name("FILE")
      ->check(nonEmpty());
  app->footer(
      "Each result is a latency beside the same run's limits: memcpy, AF_UNIX, memfd and "
      "loopback TCP of the same size (docs/benchmarks.md).");
  if (auto status = parse(*app, args)) {
    return *status;
  }
  if (workload == "stream") {
    return streamBench(app->count("--modes") > 0 ? splitList(systems) : std::vector<std::string>{},
                       stream_size, chunk, app->count("--runs") > 0 ? options.runs : 3, stream_move,
                       options);
  }
  options.paper = paper;
  if (app->count("--modes") > 0) {
    options.systems = splitList(systems);
  } else if (quick || paper) {
    options.systems = {"embedded",
                       "embedded-move",
                       "embedded-shared",
                       "kernel",
                       "kernel-memfd",
                       "kernel-move",
                       "kernel-shared",
                       "network",
                       "wasmedge-http-raw",
                       "native-http-raw",
                       "wasmedge-http",
                       "native-http",
                       "redis"};
    if (paper) {  // the peers Debian ships, run by roadrunner-bench-peers
      options.systems.insert(options.systems.end(), {"iceoryx", "nats", "grpc"});
    }
  }
  if (quick && app->count("--sizes") == 0) {
    sizes = "1M,16M,100M";
  }
  if (paper && app->count("--sizes") == 0) {
    sizes = "1M,10M,100M,500M";
  }
  options.in_place = options.in_place || paper;
  for (const auto& n : splitList(fanouts)) {
    options.fanouts.push_back(static_cast<std::uint32_t>(std::stoul(n)));  // checked: 1..1024
  }
  if (quick && app->count("--fanout") == 0) {
    options.fanouts = {1, 10};
  }
  if (paper && app->count("--fanout") == 0) {
    options.fanouts = {1, 10, 20, 40, 60, 80, 100};
  }
  if (paper && app->count("--link-rate") == 0) {
    if (::geteuid() == 0) {
      options.link_rate = "1gbit";
    } else {
      std::fprintf(stderr, "roadrunner bench: the inter-node figure needs root; left out\n");
    }
  }
  options.sizes = *bench::parseSizes(sizes);
  if (!fanout_size.empty()) {
    options.fanout_size = bench::parseSizes(fanout_size)->front();
  }
  if (!splice_threshold.empty()) {
    options.splice_threshold = bench::parseSizes(splice_threshold)->front();
  }
  if (auto r = bench::run(options); !r) {
    return reportError(r.error());
  }
  return 0;
}

int soakCommand(Args args) {
  const auto app = makeApp("soak");
  bench::SoakOptions options;
  options.guest_dir = guestDir();
  std::string modes;
  app->add_option("--small", options.small, "1 KiB transfers per mode (default 100000)")
      ->type_name("N")
      ->check(wholeNumber(0, UINT64_MAX));
  app->add_option("--large", options.large, "transfers of --large-size per mode (default 1000)")
      ->type_name("N")
      ->check(wholeNumber(0, UINT64_MAX));
  app->add_option("--large-size", options.large_size,
                  "the large transfers' size (1 to 2147483647; default 16777216)")
      ->type_name("BYTES")
      ->check(wholeNumber(1, (1ULL << 31U) - 1));
  app->add_option("--modes", modes,
                  "the modes to soak: embedded, embedded-move, kernel, kernel-memfd, network "
                  "(default all five)")
      ->type_name("MODE,...")
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            const auto items = splitList(value);
            if (items.empty()) {
              return "'" + value + "' names no mode";
            }
            for (const auto& mode : items) {
              if (mode != "embedded" && mode != "embedded-move" && mode != "kernel" &&
                  mode != "kernel-memfd" && mode != "network") {
                return "unknown mode '" + mode + "'";
              }
            }
            return {};
          },
          ""));
  app->footer(
      "Per mode, resident memory, open descriptors and mappings are sampled during each run; "
      "the soak fails if a transfer fails, descriptors or mappings grow, or memory grows by "
      "more than 10 %.");
  if (auto status = parse(*app, args)) {
    return *status;
  }
  if (!modes.empty()) {
    options.systems = splitList(modes);
  }
  if (auto r = bench::soak(options); !r) {
    return reportError(r.error());
  }
  return 0;
}

}  // namespace rr::cli
